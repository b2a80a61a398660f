"""Analysts: saved estimate runs; read one and publish a draft."""

import streamlit as st

from dashboards import data as da
from dashboards import ui

user = ui.user()
st.title("Saved runs")
runs = da.runs(user)
if runs.empty:
    st.info("No estimate runs are saved yet: make one on *Run an estimate*.")
    st.stop()
choice = st.dataframe(
    runs[["run_id", "status", "period", "stratify_by", "methods", "created_by", "created_at",
          "published_at", "note"]],
    hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
    key="runs_table",
)
rows = choice.selection.rows if choice else []
run_id = int(runs.iloc[rows[0]]["run_id"]) if rows else int(runs.iloc[0]["run_id"])
run, estimates = da.run_detail(user, run_id)
st.subheader(f"Run {run_id} · {run['status']}")
st.caption(f"Period {run['period']} · data {str(run['data_hash'])[:16]} · seed {run['seed']} · "
           f"made by {run['created_by']} on {str(run['created_at'])[:16]}")
shown = estimates.drop(columns=[c for c in ("capture_table", "diagnostics", "draws_path",
                                            "run_id") if c in estimates])
shown[["estimate", "lower", "upper"]] = shown[["estimate", "lower", "upper"]].round(0)
st.dataframe(shown, hide_index=True, width="stretch")
if run["status"] == "draft" and user.sees_unpublished:
    with st.form("publish_form"):
        note = st.text_input("Publication note", value=run.get("note") or "")
        if st.form_submit_button("Publish", type="primary", icon=":material/campaign:"):
            da.publish_run(user, run_id, note)
            st.success(f"Run {run_id} is published.")
            st.rerun()
