"""Policymakers: estimates for adults and children, types of exploitation and regions."""

import streamlit as st

from darkfigure.disclosure import SUPPRESSED_MARK
from dashboards import charts, figures, show, ui
from dashboards import data as da

user = ui.user()
st.title("Breakdowns")
by = st.segmented_control(
    "Break down by", list(figures.STRATIFY_LABELS), default="age_group",
    format_func=lambda b: figures.STRATIFY_LABELS[b], key="breakdown_by",
) or "age_group"
rows, run = da.breakdown(user, by)
if rows.empty:
    st.info(f"No estimate broken down by {figures.STRATIFY_LABELS[by].lower()} "
            "has been published yet.")
    st.stop()

label = figures.STRATIFY_LABELS[by]
st.subheader(f"{label}, {run['period']}")
chart = charts.interval_chart(rows, "stratum")
st.altair_chart(chart, width="stretch")
st.caption("Dot: estimated victims. Bar: the interval. Tick: victims recorded. "
           + ("A person can suffer several types of exploitation, so these do not add up "
              "to the total. " if by == "exploitation" else ""))
show.table(rows[["stratum", "observed", "estimate", "lower", "upper"]].rename(columns={
    "stratum": label, "observed": "Recorded", "estimate": "Estimated",
    "lower": "Interval from", "upper": "to"}))
if bool(rows["suppressed"].any()):
    st.caption(f"{SUPPRESSED_MARK} withheld: fewer than {da.disclosure_threshold()} recorded "
               "victims, or a figure that would let a withheld one be worked out.")
provenance = show.provenance_line(run["run_id"], run["method"], run["data_hash"],
                                run["published_at"], run["period"])
show.downloads(f"breakdown_{by}", rows.drop(columns=["suppressed"]), chart, provenance)
