"""Analysts: the capture table of a period and stratum, and how the lists overlap."""

import streamlit as st

from dashboards import charts, figures, ui
from dashboards import data as da

user = ui.user()
st.title("Capture tables")
periods = da.periods(user)
if not periods:
    st.info("No returns are loaded yet.")
    st.stop()
left, right = st.columns(2)
period = left.selectbox("Period", periods, key="capture_period")
by = right.selectbox("Stratify by", [None, *figures.STRATIFY_LABELS],
                     format_func=lambda b: "Nothing (whole population)" if b is None
                     else figures.STRATIFY_LABELS[b], key="capture_by")
with st.spinner("Linking records and counting capture patterns..."):
    outcome = da.capture_tables(user, period, by)
tables = outcome.tables.tables
if len(tables) > 1:
    labels = [t.label for t in tables]
    table = tables[labels.index(st.selectbox("Stratum", labels, key="capture_stratum"))]
else:
    table = tables[0]
st.info("  \n".join(line for line in outcome.message().splitlines()
                    if not line.startswith("  ")))

a, b, c = st.columns(3)
a.metric("People recorded", f"{table.n:,}")
b.metric("Lists", table.t)
c.metric("Empty capture patterns", int((table.counts == 0).sum()))
left, right = st.columns([3, 2])
with left:
    st.markdown("**Capture table** (people per pattern of lists)")
    frame = figures.capture_frame(table)
    st.dataframe(frame, hide_index=True, width="stretch", height=420)
with right:
    st.markdown("**List overlaps** (diagonal: people on the list)")
    st.altair_chart(charts.overlap_heatmap(figures.overlap_matrix(table)))
    st.caption("Pairs of lists that never overlap make some models impossible to fit; "
               "the existence check on *Run an estimate* reports them.")
st.download_button("Download the capture table (CSV)", frame.to_csv(index=False),
                   file_name=f"capture_{period}_{table.label or 'all'}.csv".replace(" ", ""),
                   mime="text/csv", icon=":material/download:", on_click="ignore")
