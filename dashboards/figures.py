"""Pure shaping of warehouse rows into the figures the pages show.

No DuckDB and no Streamlit here: :mod:`dashboards.data` reads, these
functions turn rows into headlines, grids and matrices.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # estimation imports pandas and SciPy: not on the policymaker's path
    from estimation.capture_table import CaptureTable

#: Labels of an unstratified (whole-population) row in ``estimates.stratum``.
WHOLE = ("", "all", "total")
STRATIFY_LABELS = {
    "age_group": "Adults and children",
    "exploitation": "Type of exploitation",
    "region": "Region",
}


def parse_stratum(text: str | None) -> tuple[str, str] | None:
    """``"age_group=child"`` -> ``("age_group", "child")``; whole population -> ``None``."""
    if text is None or str(text).strip().lower() in WHOLE:
        return None
    first = str(text).split(",")[0]
    key, _, value = first.partition("=")
    return (key.strip(), value.strip()) if value else ("stratum", key.strip())


def headline_method(methods: Sequence[str], settings: dict | None) -> str | None:
    """The method whose estimate a run publishes as its headline.

    A run names it in ``settings["headline"]``; otherwise its first method.
    """
    chosen = (settings or {}).get("headline")
    if chosen:
        return str(chosen)
    return str(methods[0]) if len(methods) else None


@dataclass(frozen=True)
class Headline:
    """The figure a policymaker reads first, with where it came from."""

    period: str
    estimate: float
    lower: float
    upper: float
    observed: float
    level: float
    method: str
    run_id: int
    data_hash: str
    published_at: str
    note: str

    @property
    def hidden_per_recorded(self) -> float:
        """For every recorded victim, how many more were not recorded."""
        if not self.observed:
            return math.nan
        return (self.estimate - self.observed) / self.observed

    def sentence(self) -> str:
        """The ratio in words."""
        k = self.hidden_per_recorded
        if not math.isfinite(k):
            return ""
        if k < 0.05:
            return "Almost every victim in the estimate was recorded by at least one agency."
        return (f"For every recorded victim, about {_round_ratio(k)} more "
                f"{'was' if _round_ratio(k) == '1' else 'were'} not recorded by any agency.")


def _round_ratio(k: float) -> str:
    if k >= 10:
        return f"{k:,.0f}"
    return f"{k:.1f}".rstrip("0").rstrip(".") if k < 3 else f"{k:.0f}"


def strata_rows(estimates: pd.DataFrame, method: str) -> pd.DataFrame:
    """One row per stratum of one method: ``stratum, observed, estimate, lower, upper``."""
    pick = estimates[estimates["method"] == method].copy()
    parsed = pick["stratum"].map(parse_stratum)
    pick = pick[parsed.notna()]
    pick["stratum"] = parsed[parsed.notna()].map(lambda p: p[1])
    cols = ["stratum", "observed", "estimate", "lower", "upper", "level"]
    return pick[cols].reset_index(drop=True)


def status_grid(
    submissions: pd.DataFrame, org_codes: Sequence[str], quarters: Sequence[str]
) -> pd.DataFrame:
    """Which organisation submitted which quarter.

    Returns
    -------
    pandas.DataFrame
        ``org_code, quarter, status, n_rows, n_errors, n_warnings``; status is
        ``loaded``, ``loaded with warnings``, ``quarantined`` or ``missing``.
    """
    grid = pd.MultiIndex.from_product([list(org_codes), list(quarters)],
                                      names=["org_code", "quarter"]).to_frame(index=False)
    live = submissions[submissions["status"] != "superseded"]
    # A loaded return outranks a later quarantined attempt for the same quarter.
    live = live.assign(rank=live["status"].map({"loaded": 0, "quarantined": 1}).fillna(2))
    best = live.sort_values(["rank", "submitted_at"], ascending=[True, False]).drop_duplicates(
        ["org_code", "quarter"]
    )
    out = grid.merge(best[["org_code", "quarter", "status", "n_rows", "n_errors", "n_warnings"]],
                     on=["org_code", "quarter"], how="left")
    out["status"] = out["status"].fillna("missing")
    warned = (out["status"] == "loaded") & (out["n_warnings"].fillna(0) > 0)
    out.loc[warned, "status"] = "loaded with warnings"
    return out


def status_of(submissions: pd.DataFrame) -> pd.DataFrame:
    """:func:`status_grid` over the organisations and quarters the submissions span."""
    if submissions.empty:
        return status_grid(submissions, [], [])
    quarters = quarter_range(submissions["quarter"].min(), submissions["quarter"].max())
    return status_grid(submissions, sorted(submissions["org_code"].unique()), quarters)


def overlap_matrix(table: CaptureTable) -> pd.DataFrame:
    """People on each pair of lists (diagonal: people on the list), lists x lists."""
    patterns = table.patterns.astype(np.int64)
    counts = np.asarray(table.counts, dtype=np.int64)
    weighted = patterns * counts[:, None]
    matrix = weighted.T @ patterns
    return pd.DataFrame(matrix, index=list(table.lists), columns=list(table.lists))


def capture_frame(table: CaptureTable) -> pd.DataFrame:
    """The capture table as rows: one 0/1 column per list, the pattern and its count."""
    frame = pd.DataFrame(table.patterns.astype(int), columns=list(table.lists))
    frame.insert(0, "pattern", [table.pattern_label(k) for k in range(len(frame))])
    frame["count"] = np.asarray(table.counts, dtype=np.int64)
    return frame


def ranking_rows(diagnostics: dict) -> pd.DataFrame:
    """The BIC ranking a ``bic`` result carries, as ``rank, model, bic, estimate``."""
    ranking = diagnostics.get("ranking") if diagnostics else None
    if not ranking:
        return pd.DataFrame(columns=["rank", "model", "bic", "estimate"])
    frame = pd.DataFrame(ranking)
    rename = {"BIC": "bic", "N_hat": "estimate", "N": "estimate", "terms": "model"}
    frame = frame.rename(columns={k: v for k, v in rename.items() if k in frame})
    if "model" in frame:
        frame["model"] = frame["model"].map(
            lambda m: " + ".join(m) if isinstance(m, (list, tuple)) else str(m)
        ).replace("", "(main effects)")
    frame = frame.drop(columns=["rank"], errors="ignore").sort_values("bic")
    frame = frame.reset_index(drop=True)
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    return frame


def quarter_range(first: str, last: str) -> list[str]:
    """Every quarter from ``first`` to ``last`` (``2024Q3``), in order."""
    y, q = int(first[:4]), int(first[-1])
    end = (int(last[:4]), int(last[-1]))
    out = []
    while (y, q) <= end:
        out.append(f"{y}Q{q}")
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out


def recent_quarters(today: date, n: int = 8) -> list[str]:
    """The current quarter and the ``n - 1`` before it, newest first."""
    y, q = today.year, (today.month - 1) // 3 + 1
    out = []
    for _ in range(n):
        out.append(f"{y}Q{q}")
        y, q = (y - 1, 4) if q == 1 else (y, q - 1)
    return out


#: Submission columns as a reader sees them, in order.
SUBMISSION_LABELS = {"submission_id": "Submission", "quarter": "Quarter", "version": "Version",
                     "status": "Status", "n_rows": "Rows", "n_errors": "Errors",
                     "n_warnings": "Warnings", "file_name": "File",
                     "submitted_by": "Submitted by", "submitted_at": "Submitted at"}


def submission_rows(history: pd.DataFrame, *, with_org: bool = False) -> pd.DataFrame:
    """Submissions for a table: readable column names (and the organisation if asked)."""
    labels = dict(SUBMISSION_LABELS)
    if with_org:
        labels = {"submission_id": "Submission", "org_code": "Organisation"} | labels
    return history[list(labels)].rename(columns=labels)
