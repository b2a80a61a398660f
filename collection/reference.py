"""Reference data shipped with the product: organisations and the return's code lists.

Everything is read from ``darkfigure.settings.DATA_DIR / "reference"`` once and
cached.  Code lists are versioned by the return schema version
(:data:`collection.schema.SCHEMA_VERSION`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from collection.schema import SCHEMA_VERSION
from darkfigure.settings import DATA_DIR

#: Lists (DESIGN.md section 2) an organisation can belong to.
LIST_CODES = ("LA", "NG", "PF", "GO", "GP", "NCA")
#: Code-list names (the ``codes`` of a schema field, or its short-list name).
CODE_LIST_NAMES = ("sex", "age_group", "exploitation_type", "nrm", "nationality", "force_area")


def reference_dir() -> Path:
    """Directory holding the reference CSV files."""
    return DATA_DIR / "reference"


def _read(name: str) -> pd.DataFrame:
    # keep_default_na=False: "NA" is Namibia's alpha-2 code, not a missing value.
    return pd.read_csv(reference_dir() / name, dtype=str, keep_default_na=False)


@dataclass(frozen=True)
class Organisation:
    """An organisation that submits returns.

    Attributes
    ----------
    org_code
        Stable code (e.g. ``METROPOLITAN``, ``SALVATION-ARMY``).
    name
        Full name.
    list_code
        The list it belongs to: one of :data:`LIST_CODES`.
    kind
        Kind of body (``territorial police force``, ``NGO``, ...).
    home_force_area
        Its force-area code where it has one, else ``""``.
    """

    org_code: str
    name: str
    list_code: str
    kind: str
    home_force_area: str


@cache
def organisations() -> dict[str, Organisation]:
    """All organisations by ``org_code``."""
    frame = _read("organisations.csv")
    return {
        str(rec["org_code"]): Organisation(
            str(rec["org_code"]), str(rec["name"]), str(rec["list_code"]), str(rec["kind"]),
            str(rec["home_force_area"]),
        )
        for rec in frame.to_dict("records")
    }


def organisation(org_code: str) -> Organisation:
    """The organisation with ``org_code`` (case-insensitive).

    Raises
    ------
    KeyError
        With a message that says where the codes are listed.
    """
    found = organisations().get(org_code.strip().upper())
    if found is None:
        raise KeyError(
            f"organisation code '{org_code}' is not known; the codes are in "
            "data/reference/organisations.csv (e.g. METROPOLITAN, SALVATION-ARMY, NCA)"
        )
    return found


@cache
def code_list(name: str, schema_version: str = SCHEMA_VERSION) -> tuple[str, ...]:
    """The allowed codes of a code list, canonical form, in file order.

    Parameters
    ----------
    name
        One of :data:`CODE_LIST_NAMES`.
    schema_version
        Version of the return schema the list belongs to.
    """
    if name == "nationality":
        return tuple(_read("nationalities.csv")["code"])
    if name == "force_area":
        return tuple(_read("force_areas.csv")["code"])
    frame = _read("code_lists.csv")
    rows = frame[(frame["code_list"] == name) & (frame["schema_version"] == schema_version)]
    if rows.empty:
        raise KeyError(f"no code list '{name}' for return schema {schema_version}")
    return tuple(rows["code"])


@cache
def code_labels(name: str, schema_version: str = SCHEMA_VERSION) -> dict[str, str]:
    """``code -> label`` of a code list (names of countries and force areas)."""
    if name == "nationality":
        frame = _read("nationalities.csv")
        return dict(zip(frame["code"], frame["name"], strict=True))
    if name == "force_area":
        frame = _read("force_areas.csv")
        return dict(zip(frame["code"], frame["name"], strict=True))
    frame = _read("code_lists.csv")
    rows = frame[(frame["code_list"] == name) & (frame["schema_version"] == schema_version)]
    return dict(zip(rows["code"], rows["label"], strict=True))


@cache
def force_area_aliases() -> dict[str, str]:
    """Other accepted spellings of force-area codes, upper case -> canonical code.

    A return may name the force by its organisation code (``METROPOLITAN``) or
    the area by its name (``Avon and Somerset``) instead of the ONS code.
    """
    frame = _read("force_areas.csv")
    aliases: dict[str, str] = {}
    for row in frame.itertuples(index=False):
        for alias in (row.code, row.force_org_code, row.name):
            if alias:
                aliases[str(alias).strip().upper()] = str(row.code)
    aliases["NOT KNOWN"] = "UNKNOWN"
    return aliases
