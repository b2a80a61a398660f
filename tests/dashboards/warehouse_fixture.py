"""A small warehouse for the dashboard tests: accounts, submissions, runs.

Built through the product's own functions (init, accounts, store, estimate
runs) so that the tests exercise the real schema.  Capture tables are the
UK 2013 table shipped in data/ and small variants of it; the figures in them
are fixture data, not published results.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from darkfigure import auth
from darkfigure.pipeline.runs import publish_run, save_run
from darkfigure.pipeline.setup import init_warehouse
from darkfigure.settings import Settings
from darkfigure.warehouse import connect, store, transaction
from estimation.capture_table import CaptureTable
from estimation.registry import Settings as FitSettings
from estimation.registry import get
from estimation.table_io import read_capture_table

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "fixture passphrase 1"
#: username -> (role, organisation)
ACCOUNTS = {
    "admin": ("admin", None),
    "ana": ("analyst", None),
    "polly": ("policymaker", None),
    "avon": ("force", "AVON-AND-SOMERSET"),
    "beds": ("force", "BEDFORDSHIRE"),
}
#: The headline method comes first in a run.
METHODS = ("aic-stepwise", "bic", "Mt", "Mh-chao")
#: Children in the 2024 age-group run: below the disclosure threshold.
SMALL_STRATUM = 3


@dataclass(frozen=True)
class FixtureWarehouse:
    """Where the fixture lives and what it holds."""

    home: Path
    published: dict[str, int]
    draft_run: int
    draft_estimate: float
    quarantined: int


def _table(counts: np.ndarray, lists: tuple[str, ...], stratum: tuple = ()) -> CaptureTable:
    return CaptureTable(lists, np.asarray(counts, dtype=np.int64), stratum=stratum)


def _results(tables: list[CaptureTable], methods: tuple[str, ...]) -> list:
    settings = FitSettings(seed=1)
    return [get(m)(t, settings).fit() for m in methods for t in tables]


#: Organisations recording for each list of the UK 2013 table (PFNCA recorded as PF).
LIST_ORGS = {
    "LA": ("LA-BIRMINGHAM", "LA-MANCHESTER"),
    "NG": ("SALVATION-ARMY", "MIGRANT-HELP"),
    "PFNCA": ("AVON-AND-SOMERSET", "BEDFORDSHIRE"),
    "GO": ("UKVI",),
    "GP": ("MSEH",),
}
LIST_CODE = {"LA": "LA", "NG": "NG", "PFNCA": "PF", "GO": "GO", "GP": "GP"}
#: Bedfordshire's return for this quarter failed validation.
QUARANTINED = ("BEDFORDSHIRE", "2024Q4")


def _records(tables: dict[str, CaptureTable], rng: np.random.Generator) -> pd.DataFrame:
    """One record per person and list: persons drawn from each year's capture table."""
    rows = []
    person = 0
    for year, table in tables.items():
        for cell, count in enumerate(table.counts):
            lists = [name for name, on in zip(table.lists, table.patterns[cell], strict=True)
                     if on]
            for _ in range(int(count)):
                person += 1
                quarter = f"{year}Q{rng.integers(1, 5)}"
                age = rng.choice(["adult", "child", "unknown"], p=[0.8, 0.15, 0.05])
                types = [str(rng.choice(["labour", "sexual", "criminal", "domestic_servitude"]))]
                for name in lists:
                    org = str(rng.choice(LIST_ORGS[name]))
                    if (org, quarter) == QUARANTINED:
                        org = "AVON-AND-SOMERSET"
                    rows.append({"person": person, "org_code": org,
                                 "list_code": LIST_CODE[name], "quarter": quarter,
                                 "age_group": age, "exploitation_types": types,
                                 "force_area": str(rng.choice(["E23000036", "E23000026",
                                                               "W15000001"]))})
    return pd.DataFrame(rows)


def _submissions(settings: Settings, records: pd.DataFrame) -> int:
    """One loaded submission per organisation and quarter, and one quarantined return."""
    now = datetime(2025, 1, 20, 9, 0, tzinfo=UTC)
    with connect(settings.warehouse_path) as con, transaction(con):
        for (org, quarter), group in records.groupby(["org_code", "quarter"]):
            group = group.reset_index(drop=True)
            frame = pd.DataFrame({
                "row_number": np.arange(2, len(group) + 2),
                "record_ref": [f"{org}-{quarter}-{i}" for i in range(len(group))],
                "first_encountered": date(int(quarter[:4]), 3 * int(quarter[-1]) - 2, 15),
                "sex": "unknown", "nationality": "UNK",
                "age_group": group["age_group"],
                "exploitation_types": group["exploitation_types"],
                "force_area": group["force_area"], "nrm_referred": "yes",
            })
            sub = store.insert_submission(
                con, _submission_row(str(org), str(quarter), len(group), 0, now))
            store.insert_records(con, sub, str(org), str(group["list_code"].iloc[0]),
                                 str(quarter), frame)
            keys = pd.DataFrame({"row": frame["row_number"], "key_type": "name_dob",
                                 "key_hash": [f"person-{p}" for p in group["person"]]})
            store.insert_match_keys(con, sub, keys)
        bad = store.insert_submission(
            con, _submission_row(*QUARANTINED, 31, 2, now, "quarantined")
        )
        store.insert_issues(con, bad, pd.DataFrame({
            "row_number": [4, 17],
            "column_name": ["nationality", "first_encountered"],
            "value": ["XXX", "2024-13-01"],
            "rule": ["code_list", "date"],
            "severity": ["error", "error"],
            "message": ["'XXX' is not an ISO 3166-1 alpha-3 code",
                        "'2024-13-01' is not a date"],
            "fix": ["use a code from the nationality list, or UNK",
                    "write the date as YYYY-MM-DD"],
        }))
    return bad


def _submission_row(org: str, quarter: str, rows: int, errors: int, when: datetime,
                    status: str = "loaded") -> dict:
    return {
        "org_code": org, "quarter": quarter, "version": 1, "status": status,
        "file_name": f"return_{org}_{quarter}.csv", "file_sha256": f"{org}{quarter}".ljust(64, "0"),
        "file_format": "csv", "file_size": 100 * rows, "schema_version": "1.0",
        "n_rows": rows, "n_errors": errors, "n_warnings": 1 if org == "MSEH" else 0,
        "submitted_by": "fixture", "submitted_at": when,
    }


def build(home: Path) -> FixtureWarehouse:
    """Create the fixture warehouse under ``home`` (``DARKFIGURE_HOME``)."""
    settings = Settings.from_env(home=home)
    init_warehouse(settings, actor="fixture")
    with connect(settings.warehouse_path) as con:
        for name, (role, org) in ACCOUNTS.items():
            auth.create_user(con, name, PASSWORD, role, org_code=org,
                             display_name=name.capitalize())
    uk = read_capture_table(REPO / "data" / "capture_tables" / "UKdat_5.csv")
    y2023 = _table(np.round(uk.counts * 0.8), uk.lists)
    records = _records({"2023": y2023, "2024": uk}, np.random.default_rng(7))
    quarantined = _submissions(settings, records)
    published = {}
    for period, table in (("2023", y2023), ("2024", uk)):
        saved = save_run(settings, _results([table], METHODS), [table], actor="ana",
                         period=period, note=f"Fixture estimate for {period}")
        publish_run(settings, saved.run_id, actor="ana", note=f"Published {period}")
        published[period] = saved.run_id

    child = np.zeros(uk.counts.size, dtype=np.int64)
    child[[0, 1, 2]] = 1  # on LA only, NG only, LA and NG: 3 children, under the threshold
    unknown = np.floor(uk.counts * 0.02).astype(np.int64)
    strata = [_table(uk.counts - child - unknown, uk.lists, (("age_group", "adult"),)),
              _table(child, uk.lists, (("age_group", "child"),)),
              _table(unknown, uk.lists, (("age_group", "unknown"),))]
    saved = save_run(settings, _results(strata, ("Mt",)), strata, actor="ana", period="2024",
                     stratify_by="age_group", note="Adults and children")
    publish_run(settings, saved.run_id, actor="ana", note="Published by age group")
    published["age_group"] = saved.run_id

    korea = read_capture_table(REPO / "data" / "capture_tables" / "Korea.csv")
    draft = save_run(settings, _results([korea], ("Mt",)), [korea], actor="ana",
                     period="2025", note="Draft, not for policymakers")
    draft_estimate = _results([korea], ("Mt",))[0].estimate
    return FixtureWarehouse(home, published, draft.run_id, draft_estimate, quarantined)
