"""How figures are shown: rounded numbers, tables with withheld marks, downloads.

Every download carries its provenance (run, method, data vintage).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import altair as alt
import pandas as pd
import streamlit as st

from darkfigure.disclosure import SUPPRESSED_MARK
from dashboards import charts


def about(n: float) -> str:
    """A rounded figure for prose: three significant figures (``11,300``)."""
    if n is None or not math.isfinite(n):
        return SUPPRESSED_MARK
    if n < 1000:
        return f"{n:,.0f}"
    digits = int(math.floor(math.log10(abs(n)))) - 2
    return f"{round(n, -digits):,.0f}"


def count(n: float) -> str:
    """A count of people, exact (or the withheld mark)."""
    return f"{n:,.0f}" if n is not None and math.isfinite(n) else SUPPRESSED_MARK


def ratio(k: float) -> str:
    """Hidden victims per recorded one, to one decimal (or the withheld mark)."""
    return f"{k:.1f}" if math.isfinite(k) else SUPPRESSED_MARK


def downloads(name: str, frame: pd.DataFrame, chart: charts.Chart | None,
              provenance: str) -> None:
    """CSV and PNG downloads of a figure, each carrying its provenance."""
    csv = f"# {provenance}\n" + frame.to_csv(index=False)
    cols = st.columns([1, 1, 4])
    cols[0].download_button("CSV", csv.encode("utf-8"), file_name=f"{name}.csv",
                            mime="text/csv", icon=":material/download:", key=f"csv_{name}",
                            on_click="ignore")
    if chart is not None:
        cols[1].download_button(
            "PNG", _png(chart, provenance), file_name=f"{name}.png", mime="image/png",
            icon=":material/image:", key=f"png_{name}", on_click="ignore",
        )
    cols[2].markdown(f"<div class='df-prov'>{provenance}</div>", unsafe_allow_html=True)


def _png(chart: charts.Chart, provenance: str) -> Callable[[], bytes]:
    # Rendered only when the button is pressed: PNG export takes a few hundred ms.
    def render() -> bytes:
        captioned = chart.properties(title=alt.TitleParams(
            "", subtitle=[provenance], anchor="start", orient="bottom", subtitleFontSize=10,
            subtitleColor="#6c757d"))
        return charts.to_png(captioned)
    return render


def provenance_line(run_id: int, method: str, data_hash: str, published_at: str,
                    period: str) -> str:
    """One line naming the run a figure comes from and its data vintage."""
    return (f"darkfigure estimate run {run_id} ({period}), method {method}, "
            f"published {published_at} UTC, data {data_hash[:12]}")


def table(frame: pd.DataFrame) -> None:
    """A read-only table with withheld figures shown as the withheld mark."""
    shown = frame.copy()
    for col in shown.columns:
        if str(shown[col].dtype) in ("Float64", "Int64"):
            shown[col] = shown[col].map(
                lambda v: SUPPRESSED_MARK if pd.isna(v) else f"{float(v):,.0f}")
    st.dataframe(shown, hide_index=True, width="stretch")


#: A validation report's columns as a reader sees them.
REPORT_COLUMNS = {"row_number": "Row", "column_name": "Column", "value": "Value",
                  "severity": "Severity", "message": "Problem", "fix": "How to fix it"}
#: Reports up to this many problems are shown as a plain table whose text wraps;
#: longer ones in a scrolling grid (and in full in the CSV download).
WRAPPED_ROWS = 100


def validation_report(sub: dict, issues: pd.DataFrame, key: str) -> None:
    """A submission's validation report: counts, one row per problem, and a CSV of it."""
    st.markdown(f"**Validation report**: submission {sub['submission_id']} "
                f"({sub['file_name']}, {sub['quarter']}, {sub['status']}), {sub['n_rows']} rows, "
                f"{sub['n_errors']} error(s), {sub['n_warnings']} warning(s)")
    if issues.empty:
        st.success("No problems were found.")
        return
    shown = issues.rename(columns=REPORT_COLUMNS).drop(columns=["rule"])
    if len(shown) <= WRAPPED_ROWS:  # a table that wraps, so every message reads in full
        st.table(shown.set_index("Row"))
    else:
        st.dataframe(shown, hide_index=True, width="stretch",
                     column_config={"Problem": st.column_config.TextColumn(width="large"),
                                    "How to fix it": st.column_config.TextColumn(width="large")})
    st.download_button("Download the report (CSV)", shown.to_csv(index=False).encode(),
                       file_name=f"validation_report_{sub['submission_id']}.csv",
                       mime="text/csv", icon=":material/download:", on_click="ignore",
                       key=f"report_download_{key}")
