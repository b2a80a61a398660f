"""The truth of a synthetic nation, written apart from the returns.

``DIR/truth/`` holds: ``persons.csv`` (every victim, recorded or not, with
attributes and latent visibility), ``captures.csv`` (each person's true capture
history by list for their year), ``records.csv`` (which file row belongs to
whom, and whether it is an original, a duplicate or an invalid row),
``totals.csv`` (true N, observed n and list sizes per year and stratum),
``capture_tables.csv`` (the true capture table per year, in the capture-table
CSV format) and ``organisations.csv``.  :func:`read_truth` loads them back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from darkfigure.errors import UserError
from darkfigure.synthetic.organisations import Organisation
from darkfigure.synthetic.recording import ORDER
from estimation.capture_table import CaptureTable
from estimation.table_io import write_capture_csv

#: Person attributes a capture table can be stratified by.
STRATA = ("age_group", "sex")


@dataclass(frozen=True)
class Truth:
    """The truth of a synthetic nation, as read back from ``DIR/truth``."""

    persons: pd.DataFrame
    captures: pd.DataFrame
    records: pd.DataFrame
    totals: pd.DataFrame
    config: dict[str, Any]

    def true_n(self, year: int, **stratum: str) -> int:
        """True number of victims in ``year``, or in one stratum (``age_group="child"``)."""
        people = self.persons[self.persons["year"] == year]
        for key, value in stratum.items():
            people = people[people[key].astype(str) == str(value)]
        return len(people)

    def capture_table(self, year: int, **stratum: str) -> CaptureTable:
        """The true capture table (perfect linkage, no noise) for a year or stratum."""
        hist = self.captures.merge(self.persons[["person_id", *STRATA]], on="person_id")
        hist = hist[hist["year"] == year]
        for key, value in stratum.items():
            hist = hist[hist[key].astype(str) == str(value)]
        return histories_table(hist, (("year", str(year)), *stratum.items()))


def histories_table(
    histories: pd.DataFrame, stratum: tuple[tuple[str, str], ...] = ()
) -> CaptureTable:
    """Capture table of a frame with one 0/1 column per list in :data:`ORDER`."""
    pats = histories[list(ORDER)].to_numpy(dtype=np.int64)
    seen = pats.sum(axis=1) > 0
    return CaptureTable.from_patterns(
        ORDER, pats[seen], np.ones(int(seen.sum())), stratum=tuple(stratum), source="truth"
    )


def write_truth(
    out: Path,
    persons: pd.DataFrame,
    captures: pd.DataFrame,
    records: pd.DataFrame,
    organisations: list[Organisation],
    config: dict[str, Any],
) -> Path:
    """Write the truth files under ``out/truth`` and return that folder."""
    folder = out / "truth"
    folder.mkdir(parents=True, exist_ok=True)
    persons.drop(columns=["emerges"]).to_csv(folder / "persons.csv", index=False)
    captures.to_csv(folder / "captures.csv", index=False)
    records.to_csv(folder / "records.csv", index=False)
    _totals(persons, captures).to_csv(folder / "totals.csv", index=False)
    tables = [histories_table(g, (("year", str(y)),)) for y, g in captures.groupby("year")]
    write_capture_csv(tables, folder / "capture_tables.csv")
    pd.DataFrame(
        [{"org_code": o.code, "name": o.name, "list": o.list, "areas": ";".join(o.areas)}
         for o in organisations]
    ).to_csv(folder / "organisations.csv", index=False)
    (folder / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    return folder


def _totals(persons: pd.DataFrame, captures: pd.DataFrame) -> pd.DataFrame:
    """True N and observed n per year, overall and per stratum value."""
    both = captures.merge(persons[["person_id", *STRATA]], on="person_id")
    both["observed"] = both[list(ORDER)].sum(axis=1) > 0
    rows = []
    for year in sorted(both["year"].unique()):
        g = both[both["year"] == year]
        groups: list[tuple[str, str, pd.DataFrame]] = [("all", "all", g)]
        for key in STRATA:
            groups.extend((key, str(v), sub) for v, sub in g.groupby(key))
        for key, value, sub in groups:
            row = {"year": int(year), "stratum": key, "value": value, "N": len(sub),
                   "observed": int(sub["observed"].sum())}
            row.update({lst: int(sub[lst].sum()) for lst in ORDER})
            rows.append(row)
    return pd.DataFrame(rows)


def read_truth(directory: str | Path) -> Truth:
    """Load the truth written by ``darkfigure simulate`` into ``directory``."""
    folder = Path(directory) / "truth"
    if not (folder / "persons.csv").exists():
        raise UserError(f"{directory} holds no synthetic truth; run `darkfigure simulate` first")
    return Truth(
        persons=pd.read_csv(folder / "persons.csv", dtype={"person_id": str}),
        captures=pd.read_csv(folder / "captures.csv", dtype={"person_id": str}),
        records=pd.read_csv(folder / "records.csv", dtype=str),
        totals=pd.read_csv(folder / "totals.csv"),
        config=json.loads((folder / "config.json").read_text(encoding="utf-8")),
    )


def labelled_records(directory: str | Path) -> pd.DataFrame:
    """Typed rows of every return of a simulated nation that should load, with the true
    ``person_id`` of each (for scoring linkage against the truth).

    Parameters
    ----------
    directory
        What :func:`~darkfigure.synthetic.simulate_nation` wrote (``returns/`` and ``truth/``).

    Returns
    -------
    pandas.DataFrame
        The clean columns plus ``path``, ``org_code``, ``quarter``, ``person_id``,
        ``record_id`` (0, 1, ...), ``year`` and ``list``.
    """
    from collection.parse import read_return
    from validation import CLEAN_COLUMNS
    from validation.normalise import normalise

    out = Path(directory)
    manifest = pd.read_csv(out / "returns" / "manifest.csv", dtype=str)
    lists = pd.read_csv(out / "truth" / "organisations.csv", dtype=str).set_index(
        "org_code")["list"]
    parts = []
    for row in manifest[manifest["expected"] == "loaded"].itertuples():
        typed, _ = normalise(read_return(out / str(row.path)).data)
        parts.append(typed.loc[:, list(CLEAN_COLUMNS)].assign(
            path=str(row.path), org_code=str(row.org_code), quarter=str(row.quarter)))
    rows = pd.concat(parts, ignore_index=True)
    truth = pd.read_csv(out / "truth" / "records.csv", dtype=str)
    truth["row"] = truth["row"].astype(int) + 1  # file line: the header is line 1
    rows = rows.merge(truth[["path", "row", "person_id"]], on=["path", "row"], how="left",
                      validate="one_to_one")
    if rows["person_id"].isna().any():
        raise RuntimeError("a loaded row is missing from the truth")
    rows["record_id"] = np.arange(len(rows), dtype=np.int64)
    rows["year"] = rows["quarter"].str[:4]
    rows["list"] = rows["org_code"].map(lists)
    return rows
