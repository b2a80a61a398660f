"""Estimate runs: saved with provenance and draws, listed, published."""

from __future__ import annotations

import dataclasses

import arviz as az
import numpy as np
import pytest

from darkfigure.cli import main
from darkfigure.errors import UserError
from darkfigure.pipeline.runs import list_runs, load_run, publish_run, save_run, table_from_json
from estimation.capture_table import CaptureTable
from estimation.registry import estimate

CHILD = CaptureTable.from_dict(("LA", "NG", "PF"), {"100": 30, "010": 25, "001": 40, "110": 6,
                                                    "101": 9, "011": 5, "111": 2})
ADULT = CaptureTable.from_dict(("LA", "NG", "PF"), {"100": 60, "010": 45, "001": 80, "110": 10,
                                                    "101": 12, "011": 8, "111": 3})
CHILD = CaptureTable(CHILD.lists, CHILD.counts, stratum=(("age_group", "child"),))
ADULT = CaptureTable(ADULT.lists, ADULT.counts, stratum=(("age_group", "adult"),))


@pytest.fixture
def results():
    """Two methods on two strata; one result carries draws, one InferenceData."""
    out = [estimate(t, m, interval="none") for t in (CHILD, ADULT) for m in ("independence", "Mt")]
    rng = np.random.default_rng(1)
    out[0] = dataclasses.replace(out[0], draws=rng.normal(200, 10, 50))
    idata = az.from_dict(posterior={"N": rng.normal(400, 20, (2, 30))})
    out[3] = dataclasses.replace(out[3], idata=idata)
    return out


def test_save_and_load_run(settings, results):
    """A run keeps each estimate, its capture table and its draws, with provenance."""
    saved = save_run(settings, results, [CHILD, ADULT], actor="analyst", period="2025",
                     stratify_by="age_group", note="first look")
    assert saved.n_estimates == 4 and saved.run_dir is not None
    run, estimates = load_run(settings, saved.run_id)
    assert run["status"] == "draft" and run["created_by"] == "analyst"
    assert run["methods"] == ["independence", "Mt"]
    assert run["data_hash"] == saved.data_hash
    assert "numpy" in run["versions"]
    assert set(estimates["stratum"]) == {"age_group=child", "age_group=adult"}
    child = estimates[(estimates["stratum"] == "age_group=child")
                      & (estimates["method"] == "independence")].iloc[0]
    assert child["estimate"] == pytest.approx(results[0].estimate)
    assert child["observed"] == CHILD.n
    assert table_from_json(child["capture_table"]) == CHILD
    npz = np.load(child["draws_path"])
    np.testing.assert_allclose(npz["N"], results[0].draws)
    adult_mt = estimates[(estimates["stratum"] == "age_group=adult")
                         & (estimates["method"] == "Mt")].iloc[0]
    back = az.from_netcdf(adult_mt["draws_path"])
    np.testing.assert_allclose(back.posterior["N"].values, results[3].idata.posterior["N"].values)


def test_result_on_other_data_is_refused(settings, results):
    """A result whose data hash matches none of the tables is refused; nothing is stored."""
    with pytest.raises(ValueError, match="not fitted on any"):
        save_run(settings, results, [CHILD], actor="analyst")
    assert list_runs(settings).empty
    assert not any(settings.runs_dir.glob("run_*"))


def test_publish(settings, results):
    """Publishing marks the run, once; list_runs filters by status."""
    first = save_run(settings, results[:2], [CHILD], actor="analyst")
    second = save_run(settings, results[2:], [ADULT], actor="analyst")
    row = publish_run(settings, first.run_id, actor="lead", note="Q1 release")
    assert row["status"] == "published" and row["note"] == "Q1 release"
    assert row["published_by"] == "lead" and row["published_at"] is not None
    with pytest.raises(UserError, match="already published"):
        publish_run(settings, first.run_id, actor="lead")
    with pytest.raises(UserError, match="no estimate run 99"):
        publish_run(settings, 99, actor="lead")
    assert list_runs(settings, status="published")["run_id"].tolist() == [first.run_id]
    assert list_runs(settings)["run_id"].tolist() == [second.run_id, first.run_id]


def test_cli_runs_and_publish(settings, results, capsys):
    """`darkfigure runs`, `runs --run N` and `publish N`."""
    saved = save_run(settings, results[:2], [CHILD], actor="analyst")
    assert main(["runs"]) == 0
    assert "draft" in capsys.readouterr().out
    assert main(["runs", "--run", str(saved.run_id)]) == 0
    assert "independence" in capsys.readouterr().out
    assert main(["publish", str(saved.run_id), "--note", "ok"]) == 0
    assert f"Published estimate run {saved.run_id}" in capsys.readouterr().out
    assert main(["publish", str(saved.run_id)]) == 2


def test_cli_publish_names_its_headline(settings, results, capsys):
    """`publish N --headline M` records M as the headline; a method the run lacks is refused."""
    saved = save_run(settings, results[:2], [CHILD], actor="analyst")
    assert main(["publish", str(saved.run_id), "--headline", "bic"]) == 2
    assert "bic" in capsys.readouterr().err
    assert load_run(settings, saved.run_id)[0]["status"] == "draft"
    assert main(["publish", str(saved.run_id), "--headline", "Mt"]) == 0
    assert "headline method Mt" in capsys.readouterr().out
    assert load_run(settings, saved.run_id)[0]["settings"]["headline"] == "Mt"
