"""Analysts: run estimation with chosen methods, read diagnostics, save and publish."""

import pandas as pd
import streamlit as st

from dashboards import charts, figures, progress, runner, ui
from dashboards import data as da
from estimation.registry import Settings, available

#: How much lower than pages' the fits' scheduling priority is.
ESTIMATION_NICENESS = 10

user = ui.user()
st.title("Run an estimate")
periods = da.periods(user)
if not periods:
    st.info("No returns are loaded yet.")
    st.stop()

registry = available()
fast = [n for n, c in registry.items() if not c.slow]
with st.form("estimate_form"):
    a, b = st.columns(2)
    period = a.selectbox("Period", periods)
    by = b.selectbox("Stratify by", [None, *figures.STRATIFY_LABELS],
                     format_func=lambda v: "Nothing" if v is None else figures.STRATIFY_LABELS[v])
    methods = st.multiselect(
        "Methods", list(registry), default=[m for m in ("stepwise", "bic", "Mt") if m in fast],
        format_func=lambda n: f"{n} (slow: MCMC)" if registry[n].slow else n,
    )
    c, d, e = st.columns(3)
    interval = c.selectbox("Interval", ["profile", "bootstrap", "none"])
    seed = d.number_input("Seed", min_value=0, value=1, step=1)
    draws = e.number_input("MCMC draws per chain", min_value=100, value=1000, step=100)
    go = st.form_submit_button("Run", type="primary", icon=":material/play_arrow:")

if go and methods:
    settings = Settings(interval=interval, seed=int(seed), draws=int(draws), boot=500)
    with st.status("Estimating...", expanded=True) as status:
        st.write("Building the capture tables from the current linkage")
        outcome = da.capture_tables(user, period, by)
        bar = st.progress(0.0)
        at: dict[str, tuple[int, int, str]] = {"step": (0, 1, "starting")}

        def step(done: int, total: int, what: str) -> None:  # in the fits' thread
            at["step"] = (done, total, what)

        def tick(seconds: float) -> None:
            done, total, what = at["step"]
            bar.progress(done / max(total, 1), text=f"{done}/{total}: {what} ({seconds:.0f} s)")

        # Fits run in their own thread at a lower priority: other readers' pages go first.
        batch = progress.in_background(
            lambda: runner.run_methods(outcome.tables.tables, methods, settings, step), tick,
            nice=ESTIMATION_NICENESS)
        status.update(label=f"Done: {len(batch.results)} estimate(s)", state="complete",
                      expanded=False)
    st.session_state["estimate_batch"] = {"batch": batch, "outcome": outcome, "period": period,
                                          "by": by}

held = st.session_state.get("estimate_batch")
if not held:
    st.caption("Choose a period and methods, then press Run.")
    st.stop()
batch, outcome = held["batch"], held["outcome"]
frame = batch.frame()
st.subheader(f"Results for {held['period']}")
st.dataframe(frame, hide_index=True, width="stretch")
for stratum, method, why in batch.failed:
    st.warning(f"{method} on {stratum}: not run - {why}")

whole = frame[frame["stratum"] == frame["stratum"].iloc[0]] if not frame.empty else frame
if not whole.empty:
    st.altair_chart(charts.interval_chart(whole, "method"), width="stretch")

st.subheader("Diagnostics")
for res in batch.results:
    label = f"{res.method} · {res.to_frame()['stratum'].iloc[0] or 'all'}"
    with st.expander(label + ("  ⚠" if not res.ok else "")):
        st.markdown(f"**Existence of the estimate:** `{res.existence}`  \n"
                    f"**Model terms:** {' + '.join(res.model) or '(main effects only)'}")
        for w in res.warnings:
            st.warning(w)
        gate = runner.convergence(res)
        if gate:
            for col, (name, value) in zip(st.columns(len(gate)), gate.items(), strict=True):
                col.metric(name.replace("_", " ").upper() if name == "rhat" else name,
                           f"{value:,.3f}" if name == "rhat" else f"{value:,.0f}")
        st.dataframe(runner.diagnostics_rows(res), hide_index=True, height=240)
        if res.draws is not None and len(res.draws):
            posterior = pd.DataFrame({"method": res.method, "N": res.draws})
            st.altair_chart(charts.posterior_chart(posterior), width="stretch")
        ranking = figures.ranking_rows(dict(res.diagnostics))
        if not ranking.empty:
            st.markdown("**Model ranking by BIC** and the estimate under each model")
            st.altair_chart(charts.ranking_chart(ranking), width="stretch")
            st.dataframe(ranking.head(20), hide_index=True, width="stretch")

st.subheader("Save")
with st.form("save_form"):
    names = list(dict.fromkeys(r.method for r in batch.results))
    headline = st.selectbox("Headline method", names)
    note = st.text_input("Note (what this run is for)")
    publish = st.checkbox("Publish now (policymakers will see it)")
    save = st.form_submit_button("Save run", icon=":material/save:")
if save and batch.results:
    with st.spinner("Saving..."):
        saved = da.save_run(user, runner.headline_first(batch.results, headline),
                            list(outcome.tables.tables), period=held["period"], by=held["by"],
                            note=note, linkage_run_id=outcome.linkage_run_id, headline=headline)
        st.success(saved.message())
        if publish:
            da.publish_run(user, saved.run_id, note)
            st.success(f"Run {saved.run_id} is published.")
