"""A study adds replicates to those recorded instead of starting over (study_reps/)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from darkfigure.cli import main
from darkfigure.study import store, summarise
from darkfigure.study.execution import (
    dask_client,
    plan_tasks,
    replicate_seeds,
    run_serial,
    run_study,
)

KEY = store.settings_key(None)
SAME = ["rep", "rep_seed", "observed", "estimate", "lower", "upper", "error"]


@pytest.fixture(scope="module")
def client():
    # Threads in this process: starts in a second, unlike worker processes (those are
    # covered by test_study's Dask test).
    with _cluster() as cluster, dask_client(cluster.scheduler_address) as c:
        yield c


def _recorded(directory, scenario, method):
    return store.load(directory, scenario, method).sort_values("rep").reset_index(drop=True)


def test_a_second_run_adds_only_the_missing_replicates(client, tmp_path):
    first = run_study(client, ["independent"], ["independence"], 3, 7, tmp_path)
    assert first == {("independent", "independence"): 3}
    before = _recorded(tmp_path, "independent", "independence")
    second = run_study(client, ["independent"], ["independence"], 5, 7, tmp_path)
    assert second == {("independent", "independence"): 2}
    after = _recorded(tmp_path, "independent", "independence")
    assert list(after["rep"]) == [0, 1, 2, 3, 4]
    # The first three rows are the ones recorded first, untouched.
    pd.testing.assert_frame_equal(after.iloc[:3][SAME], before[SAME])
    # Grown in two steps, the study is the one a single 5-replicate run gives.
    serial = pd.DataFrame(run_serial("independent", ["independence"], 5, seed=7))
    pd.testing.assert_frame_equal(after[SAME], serial[SAME], check_dtype=False)
    assert run_study(client, ["independent"], ["independence"], 5, 7, tmp_path) == {
        ("independent", "independence"): 0}


def test_an_interrupted_study_runs_the_replicates_it_lacks(client, tmp_path):
    """Replicates 0 and 2 recorded (as a run stopped mid-way leaves them): a run of 4
    fits 1 and 3 only, for each method separately."""
    rows = run_serial("independent", ["independence", "Mt"], 4, seed=3)
    store.append(tmp_path, [r for r in rows if r["rep"] in (0, 2)], 3, KEY, "old")
    store.append(tmp_path, [r for r in rows if r["method"] == "Mt" and r["rep"] == 1],
                 3, KEY, "old")
    added = run_study(client, ["independent"], ["independence", "Mt"], 4, 3, tmp_path)
    assert added == {("independent", "independence"): 2, ("independent", "Mt"): 1}
    for method in ("independence", "Mt"):
        got = _recorded(tmp_path, "independent", method)
        assert list(got["rep"]) == [0, 1, 2, 3]
        want = pd.DataFrame([r for r in rows if r["method"] == method])
        pd.testing.assert_frame_equal(got[SAME], want[SAME], check_dtype=False)
    codes = _recorded(tmp_path, "independent", "Mt")["code"].tolist()
    assert codes[:3] == ["old", "old", "old"] and codes[3] == store.code_version()


def test_other_settings_or_seed_start_a_new_count(tmp_path):
    rows = run_serial("independent", ["independence"], 2, seed=1)
    store.append(tmp_path, rows, 1, KEY)
    assert store.recorded_reps(tmp_path, "independent", "independence", 1, KEY) == {0, 1}
    other = store.settings_key({"draws": 500})
    assert other != KEY and store.settings_key({"draws": 1000, "tune": 1000}) == KEY
    assert store.recorded_reps(tmp_path, "independent", "independence", 1, other) == set()
    assert store.recorded_reps(tmp_path, "independent", "independence", 2, KEY) == set()
    # The table follows the newest study of a method: here the draws=500 one.
    store.append(tmp_path, run_serial("independent", ["independence"], 1, seed=1), 1, other)
    latest = store.latest_settings(store.load(tmp_path, "independent"))
    assert len(latest) == 1 and latest["settings"].iloc[0] == other


def test_tasks_go_replicate_by_replicate_across_scenarios():
    """Stopped early, a study has about as many replicates in every scenario; an MCMC
    method gets a task per replicate, the fast methods share theirs."""
    missing = {(s, m): list(range(4)) for s in ("a", "b") for m in ("lcmcr", "Mt", "M0")}
    missing[("b", "Mt")] = [3]
    tasks = plan_tasks(["a", "b"], ["lcmcr", "Mt", "M0"], 4, 1, missing, n_workers=1)
    firsts = [(numbers[0], scen) for scen, _, numbers, _ in tasks]
    assert firsts == sorted(firsts)
    mcmc = [t for t in tasks if t[1] == ["lcmcr"]]
    assert len(mcmc) == 8 and all(len(numbers) == 1 for _, _, numbers, _ in mcmc)
    fast = [t for t in tasks if t[1] == ["Mt", "M0"]]
    assert sorted(k for t in fast for k in t[2]) == [0, 0, 1, 1, 2, 2, 3, 3]
    # Replicate k gets the k-th seed of the study seed, in whichever task it runs.
    wanted = replicate_seeds(1, 4)
    assert all(s == wanted[k] for t in tasks for k, s in zip(t[2], t[3], strict=True))


def test_gate_shares_and_coverage_mcse_by_hand():
    """converged/re-ran shares over the replicates that gave an estimate; MCSE of a
    coverage p over n intervals is sqrt(p(1-p)/n) (Morris, White and Crowther 2019)."""
    base = {"method": "m", "N": 100, "observed": 50, "seconds": 1.0, "error": ""}
    rows = [
        {**base, "rep": 0, "estimate": 100.0, "lower": 90.0, "upper": 110.0,
         "converged": 1.0, "reran": 0.0, "warning": ""},
        {**base, "rep": 1, "estimate": 100.0, "lower": 90.0, "upper": 110.0,
         "converged": 1.0, "reran": 1.0, "warning": ""},
        {**base, "rep": 2, "estimate": 100.0, "lower": 101.0, "upper": 110.0,
         "converged": 0.0, "reran": 1.0, "warning": "the MCMC sampler did not converge"},
        {**base, "rep": 3, "estimate": 100.0, "lower": 90.0, "upper": 110.0,
         "converged": 1.0, "reran": 0.0, "warning": ""},
    ]
    out = summarise(rows).iloc[0]
    assert out["coverage_pct"] == pytest.approx(75.0)
    assert out["coverage_mcse_pct"] == pytest.approx(100 * math.sqrt(0.75 * 0.25 / 4))
    assert out["converged_pct"] == pytest.approx(75.0)
    assert out["reran_pct"] == pytest.approx(50.0)
    assert out["warned_pct"] == pytest.approx(25.0)
    fast = summarise(run_serial("independent", ["Mt"], 2, seed=1)).iloc[0]
    assert math.isnan(fast["converged_pct"]) and fast["warned_pct"] == 0.0


def _cluster():
    from distributed import LocalCluster

    return LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                        dashboard_address=":0")


def test_the_cli_continues_a_study_on_another_cluster(tmp_path, capsys):
    """The replicates recorded through one cluster count when the study goes on through
    another's scheduler address (as on a bigger cluster): only the missing ones are
    fitted, and the table shows them all."""
    args = ["study", "--method", "Mt", "--scenario", "negative-dependence",
            "--out-dir", str(tmp_path)]
    with _cluster() as cluster:
        assert main([*args, "--reps", "2", "--scheduler", cluster.scheduler_address]) == 0
    first = _recorded(tmp_path, "negative-dependence", "Mt")
    with _cluster() as cluster:
        assert main([*args, "--reps", "4", "--scheduler", cluster.scheduler_address]) == 0
    table = pd.read_csv(tmp_path / "study_negative-dependence.csv").set_index("method")
    assert table.loc["Mt", "reps"] == 4
    assert "| Mt | 4 |" in capsys.readouterr().out
    after = _recorded(tmp_path, "negative-dependence", "Mt")
    assert list(after["rep"]) == [0, 1, 2, 3]
    pd.testing.assert_frame_equal(after.iloc[:2], first)
    serial = pd.DataFrame(run_serial("negative-dependence", ["Mt"], 4, seed=1))
    pd.testing.assert_frame_equal(after[SAME], serial[SAME], check_dtype=False)
