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
