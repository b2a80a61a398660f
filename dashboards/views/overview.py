"""Policymakers' first page: the latest published estimate, recorded beside it, the trend."""

import math

import pandas as pd
import streamlit as st

from dashboards import charts, show, ui
from dashboards import data as da

user = ui.user()
headline = da.headline(user)

st.title("Victims of modern slavery in the UK")
if headline is None:
    st.info("No estimate has been published yet. Analysts publish runs from *Saved runs*.")
    st.stop()

pct = f"{headline.level:.0%}"
st.markdown(
    f"""<div class="df-headline">
      <div class="sub">Estimated victims in {headline.period}</div>
      <div class="big">about {show.about(headline.estimate)}</div>
      <div class="sub">{pct} interval {show.about(headline.lower)} to {show.about(headline.upper)}
      &nbsp;·&nbsp; {show.count(headline.observed)} recorded by at least one agency</div>
    </div>""",
    unsafe_allow_html=True,
)
st.write("")
left, right = st.columns([1, 2])
with left:
    st.markdown(
        f"""<div class="df-card"><div class="label">Hidden for every recorded victim</div>
        <div class="big">{show.ratio(headline.hidden_per_recorded)}</div>
        <div>{headline.sentence()}</div></div>""",
        unsafe_allow_html=True,
    )
shown = math.isfinite(headline.observed) and math.isfinite(headline.estimate)
share = charts.recorded_share_chart(headline.observed, headline.estimate) if shown else None
with right:
    st.markdown("**Recorded and not recorded**")
    if share is not None:
        st.altair_chart(share, width="stretch")
    else:
        st.info("Withheld: too few recorded victims to publish.")
    st.caption("The estimate counts everyone: those on at least one agency's list and those "
               "on none. Only the recorded part is a count; the rest is estimated from how "
               "often the same people appear on several lists.")

provenance = show.provenance_line(headline.run_id, headline.method, headline.data_hash,
                                headline.published_at, headline.period)
show.downloads("headline", pd.DataFrame([{
    "period": headline.period, "estimate": headline.estimate,
    "lower": headline.lower, "upper": headline.upper,
    "level": headline.level, "recorded": headline.observed,
    "hidden_per_recorded": headline.hidden_per_recorded, "method": headline.method,
}]).round({"estimate": 0, "lower": 0, "upper": 0, "hidden_per_recorded": 2}), share, provenance)
st.subheader("Trend")
trend = da.trend(user)
chart = charts.trend_chart(trend, level=headline.level)
st.altair_chart(chart, width="stretch")
st.caption(f"Shaded: the {pct} interval of the estimate. Dashed: victims recorded by at least "
           "one agency. Each year comes from its newest published run.")
show.downloads("trend", trend, chart, provenance)

with st.expander("Where these figures come from"):
    st.markdown(
        f"- Estimate run **{headline.run_id}**, published {headline.published_at} UTC\n"
        f"- Method: **{headline.method}** (see *How sure are we?* for the others)\n"
        f"- Data vintage (fingerprint of the capture tables): `{headline.data_hash[:16]}`\n"
        + (f"- Note: {headline.note}" if headline.note else "")
    )
