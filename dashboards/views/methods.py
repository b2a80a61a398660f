"""Policymakers: how the estimate depends on the method, in plain language."""

import pandas as pd
import streamlit as st

from dashboards import charts, notes, show, ui
from dashboards import data as da

user = ui.user()
st.title("How sure are we?")
headline = da.headline(user)
if headline is None:
    st.info("No estimate has been published yet.")
    st.stop()

rows = da.method_comparison(user, headline.run_id)
low, high = rows["estimate"].min(), rows["estimate"].max()
st.markdown(
    f"The {headline.period} estimate was made with **{len(rows)} methods** on the same data. "
    f"They range from **{show.about(low)}** to **{show.about(high)}**. "
    "Each method's interval shows the uncertainty from chance; the spread between methods "
    "shows the uncertainty from the assumptions, which is often larger."
)
chart = charts.interval_chart(rows, "method", reference=headline.estimate)
st.altair_chart(chart, width="stretch")
st.caption(f"Dashed line: the headline ({headline.method}). Tick: victims recorded.")

table = pd.DataFrame({
    "Method": rows["method"],
    "Estimated": rows["estimate"].round(0),
    "Interval from": rows["lower"].round(0),
    "to": rows["upper"].round(0),
})
cautions = rows["warnings"].map(lambda w: "; ".join(w) if isinstance(w, list) else "")
if cautions.str.len().gt(0).any():
    table["Caution"] = cautions
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"Estimated": st.column_config.NumberColumn(format="localized"),
                            "Interval from": st.column_config.NumberColumn(format="localized"),
                            "to": st.column_config.NumberColumn(format="localized")})
provenance = show.provenance_line(headline.run_id, headline.method, headline.data_hash,
                                headline.published_at, headline.period)
show.downloads("methods", rows.drop(columns=["warnings"]), chart, provenance)
left, right = st.columns(2)
left.markdown("**What each method assumes**\n\n" + "\n".join(
    f"- **{m}**: {notes.method_note(m)}" for m in rows["method"]))
right.markdown(notes.GUIDE)
