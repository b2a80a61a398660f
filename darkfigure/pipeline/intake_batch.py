"""Which returns a batch holds: from a manifest, or from file names that carry org and quarter.

A UKHTC data team receiving a quarter's returns from many organisations has
them in a folder.  Two ways to say what each file is:

- a **manifest**: a CSV with a row per return, columns ``path`` (or ``file``),
  ``org_code`` (or ``org``) and ``quarter``, in the order to submit them;
  paths are relative to the manifest's folder; other columns are ignored (the
  synthetic nation's ``returns/manifest.csv`` is one);
- **file names** as the template names them: ``return_METROPOLITAN_2025Q3.xlsx``
  or ``METROPOLITAN_2025Q3.csv``, optionally followed by ``_`` and anything
  (``METROPOLITAN_2025Q3_v2.csv``).  A folder stands for its ``.csv`` and
  ``.xlsx`` files, oldest first (by modification time), so a correction saved
  after a first attempt supersedes it.

A file whose name does not say its organisation and quarter is refused on its
own (the others go ahead); a manifest that cannot be read is an error naming
the file, row and column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from darkfigure.errors import UserError
from darkfigure.pipeline.intake import ReturnEntry
from darkfigure.pipeline.outcome import Refusal

#: ``return_ORG_2025Q3.csv``, ``ORG_2025Q3.xlsx``, ``ORG_2025Q3_anything.csv``.
NAME_PATTERN = re.compile(
    r"^(?:return_)?(?P<org>[A-Za-z0-9][A-Za-z0-9-]*)_(?P<quarter>\d{4}[Qq][1-4])"
    r"(?:_[^/]*)?\.(?:csv|xlsx)$", re.IGNORECASE)
#: Files a folder stands for.
RETURN_SUFFIXES = (".csv", ".xlsx")
_ALIASES = {"path": ("path", "file"), "org_code": ("org_code", "org"),
            "quarter": ("quarter",)}


def entry_from_name(path: Path) -> ReturnEntry | Refusal:
    """The entry a file's name describes, or a refusal saying how to name it."""
    match = NAME_PATTERN.match(path.name)
    if match is None:
        return Refusal(path.name, "?", "?",
                       f"{path.name}: the file name does not say the organisation and quarter. "
                       "Name it ORGCODE_2025Q3.csv (as the template is named), or give "
                       "--org and --quarter, or list it in a --manifest")
    return ReturnEntry(path, match["org"].upper(), match["quarter"].upper())


def entries_from_paths(paths: Sequence[Path]) -> list[ReturnEntry | Refusal]:
    """Entries for files and folders named on the command line (folders: oldest file first)."""
    out: list[ReturnEntry | Refusal] = []
    for path in paths:
        if path.is_dir():
            files = [p for p in path.iterdir()
                     if p.is_file() and p.suffix.lower() in RETURN_SUFFIXES
                     and not p.name.startswith((".", "~$"))]
            if not files:
                raise UserError(f"{path}: the folder holds no .csv or .xlsx return files")
            out += [entry_from_name(p)
                    for p in sorted(files, key=lambda p: (p.stat().st_mtime, p.name))]
        else:
            out.append(entry_from_name(path))
    return out


def entries_from_manifest(manifest: Path) -> list[ReturnEntry]:
    """The entries a manifest lists, in its order.

    Raises
    ------
    UserError
        The manifest is missing or unreadable, lacks a column, or has an empty cell
        (the message names the file, row and column).
    """
    try:
        frame = pd.read_csv(manifest, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError(f"{manifest}: the manifest does not exist; check the path") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise UserError(f"{manifest}: the manifest is not a readable CSV file ({err}). "
                        "Save it as CSV UTF-8 with a header row: path,org_code,quarter"
                        ) from None
    lowered = {c.strip().lower(): c for c in frame.columns}
    columns: dict[str, str] = {}
    for name, aliases in _ALIASES.items():
        found = next((lowered[a] for a in aliases if a in lowered), None)
        if found is None:
            raise UserError(f"{manifest}: row 1 (the header) has no column '{name}'. "
                            "Add it: the manifest's columns are path, org_code and quarter")
        columns[name] = found
    entries = []
    for i, rec in enumerate(frame[list(columns.values())].itertuples(index=False), start=2):
        path, org, quarter = (str(v).strip() for v in rec)
        for name, value in zip(columns, (path, org, quarter), strict=True):
            if not value:
                raise UserError(f"{manifest}: row {i}, column '{columns[name]}' is empty. "
                                "Fill it in or delete the row")
        entries.append(ReturnEntry(manifest.parent / path, org, quarter))
    if not entries:
        raise UserError(f"{manifest}: the manifest lists no returns (a header row and no "
                        "rows). Add a row per return file")
    return entries
