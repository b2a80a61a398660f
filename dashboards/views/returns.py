"""Submitting organisations: template, upload, validation report, history."""

from datetime import date

import streamlit as st

from dashboards import data as da
from dashboards import figures, progress, show, ui

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
            show.validation_report(*found, key="upload")

with history_tab:
    history = da.submissions(user, org)
    if history.empty:
        st.info("No returns submitted yet.")
    else:
        st.dataframe(figures.submission_rows(history), hide_index=True, width="stretch")
        labels = {int(r["submission_id"]):
                  f"{r['submission_id']} - {r['quarter']}, {r['file_name']} ({r['status']})"
                  for r in history.to_dict("records")}
        # Keyed by the newest submission, so that after an upload the newest is shown.
        pick = st.selectbox("Read the report of submission", list(labels),
                            format_func=labels.__getitem__,
                            key=f"history_pick_{next(iter(labels))}")
        found = da.submission_report(user, int(pick))
        if found:
            show.validation_report(*found, key="history")
