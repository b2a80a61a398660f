"""Submitting organisations: template, upload, validation report, history."""

from datetime import date

import pandas as pd
import streamlit as st

from dashboards import data as da
from dashboards import figures, progress, ui

REPORT_COLUMNS = {"row_number": "Row", "column_name": "Column", "value": "Value",
                  "severity": "Severity", "message": "Problem", "fix": "How to fix it"}
#: Reports up to this many problems are shown as a plain table whose text wraps;
#: longer ones in a scrolling grid (and in full in the CSV download).
WRAPPED_ROWS = 100
HISTORY_COLUMNS = {"submission_id": "Submission", "quarter": "Quarter", "version": "Version",
                   "status": "Status", "n_rows": "Rows", "n_errors": "Errors",
                   "n_warnings": "Warnings", "file_name": "File", "submitted_by": "Submitted by",
                   "submitted_at": "Submitted at"}


def report(sub: dict, issues: pd.DataFrame, key: str) -> None:
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


user = ui.user()
st.title("Quarterly returns")
orgs = da.organisations(user)
if user.role == "force":
    org = user.org_code
    st.caption(f"{orgs.iloc[0]['name'] if not orgs.empty else ''} ({org})")
else:
    names = dict(zip(orgs["org_code"], orgs["name"], strict=True))
    org = st.selectbox("Organisation", orgs["org_code"].tolist(), key="returns_org",
                       format_func=lambda c: f"{c} - {names[c]}")
quarters = figures.recent_quarters(date.today(), 8)

upload_tab, template_tab, history_tab = st.tabs(["Upload a return", "Template", "History"])

with template_tab:
    a, b = st.columns(2)
    t_quarter = a.selectbox("Quarter", quarters, index=1, key="template_quarter")
    fmt = b.radio("Format", ["xlsx", "csv"], horizontal=True, key="template_format",
                  format_func=lambda f: "Excel (with instructions)" if f == "xlsx" else "CSV")
    file_name, data = da.template(user, t_quarter, fmt, org)
    st.download_button(f"Download {file_name}", data, file_name=file_name,
                       icon=":material/download:", on_click="ignore", key="template_download")
    st.caption("One row per person your organisation encountered in the quarter. Names and "
               "dates of birth are turned into irreversible match keys on upload; they are "
               "never stored.")

with upload_tab:
    u_quarter = st.selectbox("Quarter the return covers", quarters, index=1,
                             key="upload_quarter")
    uploaded = st.file_uploader("Return file (CSV or Excel)", type=["csv", "xlsx"],
                                key="upload_file")
    if st.button("Submit", type="primary", disabled=uploaded is None, key="upload_submit",
                 icon=":material/send:") and uploaded is not None:
        name, data = uploaded.name, uploaded.getvalue()
        rows = progress.csv_rows(data) if name.lower().endswith(".csv") else None
        with st.status(f"Checking {name}...", expanded=True) as status:
            st.write(f"Received {len(data) / 1e6:,.1f} MB"
                     + (f", about {rows:,} rows" if rows is not None else ""))
            st.write("Reading, validating every row, and loading or quarantining")

            def tick(seconds: float) -> None:
                status.update(label=f"Checking {name}: {seconds:.0f} s")

            # The work runs in its own thread; this one only reports the time taken.
            outcome = progress.in_background(
                lambda: da.upload_return(user, name, data, u_quarter, org), tick)
            status.update(label=f"{name}: {outcome.status}", expanded=False,
                          state="error" if outcome.status == "quarantined" else "complete")
        st.session_state["last_upload"] = outcome.submission_id
        (st.error if outcome.status == "quarantined" else st.success)(outcome.message()
                                                                      .split(" Report:")[0])
    last = st.session_state.get("last_upload")
    if last is not None:
        found = da.submission_report(user, last)
        if found:
            report(*found, key="upload")

with history_tab:
    history = da.submissions(user, org)
    if history.empty:
        st.info("No returns submitted yet.")
    else:
        st.dataframe(history[list(HISTORY_COLUMNS)].rename(columns=HISTORY_COLUMNS),
                     hide_index=True, width="stretch")
        labels = {int(r["submission_id"]):
                  f"{r['submission_id']} - {r['quarter']}, {r['file_name']} ({r['status']})"
                  for r in history.to_dict("records")}
        # Keyed by the newest submission, so that after an upload the newest is shown.
        pick = st.selectbox("Read the report of submission", list(labels),
                            format_func=labels.__getitem__,
                            key=f"history_pick_{next(iter(labels))}")
        found = da.submission_report(user, int(pick))
        if found:
            report(*found, key="history")
