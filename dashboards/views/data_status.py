"""Analysts: which organisations have submitted which quarters, and how validation went."""

import streamlit as st

from dashboards import charts, ui
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
    history[["submission_id", "org_code", "quarter", "version", "status", "n_rows",
             "n_errors", "n_warnings", "submitted_by", "submitted_at"]],
    hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
    key="status_history",
)
picked = choice.selection.rows if choice else []
if picked:
    sub_id = int(history.iloc[picked[0]]["submission_id"])
    found = da.submission_report(user, sub_id)
    if found:
        sub, issues = found
        st.markdown(f"**Validation report of submission {sub_id}** "
                    f"({sub['org_code']} {sub['quarter']}, version {sub['version']})")
        if issues.empty:
            st.success("No problems were found.")
        else:
            st.dataframe(issues, hide_index=True, width="stretch")
else:
    st.caption("Select a row to read its validation report.")
