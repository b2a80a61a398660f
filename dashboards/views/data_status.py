"""Analysts: which organisations have submitted which quarters, and how validation went."""

import streamlit as st

from dashboards import charts, figures, show, ui
from dashboards import data as da

user = ui.user()
st.title("Data status")
grid = da.data_status(user)
if grid.empty:
    st.info("No returns have been submitted yet.")
    st.stop()

counts = grid["status"].value_counts()
cols = st.columns(4)
for col, status in zip(cols, ["loaded", "loaded with warnings", "quarantined", "missing"],
                       strict=True):
    col.metric(status.capitalize(), int(counts.get(status, 0)))
st.altair_chart(charts.submission_grid(grid), width="stretch")
st.caption("One cell per organisation and quarter: the live return's validation outcome. "
           "A quarantined return was not loaded; its report says what to fix.")

st.subheader("Submissions")
history = da.submissions(user)
choice = st.dataframe(
    figures.submission_rows(history, with_org=True),
    hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
    key="status_history",
)
picked = choice.selection.rows if choice else []
if picked:
    found = da.submission_report(user, int(history.iloc[picked[0]]["submission_id"]))
    if found:
        show.validation_report(*found, key="status")
else:
    st.caption("Select a row to read its validation report.")
