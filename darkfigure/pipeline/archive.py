"""The archive of raw returns and the quarantine of rejected ones (files, not the DB).

The archive keeps each raw file, as received, under its SHA-256: identical files
share one copy.  It holds identity fields in clear by design (it is the
evidence of what was submitted), so it lives outside the warehouse, in
``Settings.archive_dir``, to be protected like the originals.  Files are written
to a temporary name in the same directory and renamed into place, so a crash
never leaves a half-written file under a final name.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_checked(path: Path, sha256: str) -> bytes:
    """The file's bytes, checked against the SHA-256 it was read with.

    Raises
    ------
    ValueError
        If the file changed since it was read.
    """
    data = Path(path).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError(f"{Path(path).name} changed while it was being submitted")
    return data


def archive_path(archive_dir: Path, sha256: str, fmt: str) -> Path:
    """Where a raw file with this hash is archived."""
    return archive_dir / sha256[:2] / f"{sha256}.{fmt}"


def archive_raw(archive_dir: Path, data: bytes, sha256: str, fmt: str) -> Path:
    """Archive a raw return under its SHA-256 (a no-op if it is already there).

    Returns
    -------
    pathlib.Path
        The archived file.
    """
    dest = archive_path(archive_dir, sha256, fmt)
    if not (dest.exists() and dest.stat().st_size == len(data)):
        write_atomic(dest, data)
    return dest


def quarantine(
    quarantine_dir: Path,
    data: bytes,
    *,
    file_name: str,
    sha256: str,
    fmt: str,
    org_code: str,
    quarter: str,
    report_csv: bytes,
    report_text: str,
    meta: dict[str, Any],
) -> Path:
    """Keep a rejected return with its validation report.

    Layout: ``quarantine_dir/ORG/QUARTER/<time>_<sha12>/`` holding the raw file
    (``return.<fmt>``), ``report.csv``, ``report.txt`` and ``meta.json``.

    Returns
    -------
    pathlib.Path
        The report CSV (what the user is pointed to).
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    folder = quarantine_dir / org_code / quarter / f"{stamp}_{sha256[:12]}"
    write_atomic(folder / f"return.{fmt}", data)
    write_atomic(folder / "report.txt", report_text.encode("utf-8"))
    info = {"file_name": file_name, "sha256": sha256, **meta}
    write_atomic(folder / "meta.json", json.dumps(info, indent=2, default=str).encode())
    report = folder / "report.csv"
    write_atomic(report, report_csv)
    return report
