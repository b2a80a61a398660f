"""Pure pieces of the dashboard: figures (shaping rows), charts (Altair), the fit runner."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from dashboards import charts, figures, notes, runner
from estimation.registry import Settings

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_parse_stratum():
    assert figures.parse_stratum("all") is None
    assert figures.parse_stratum("") is None
    assert figures.parse_stratum("age_group=child") == ("age_group", "child")


def test_headline_method_is_the_first_unless_named():
    assert figures.headline_method(["stepwise", "bic"], {"bic": {}}) == "stepwise"
    assert figures.headline_method(["stepwise", "bic"], {"headline": "bic"}) == "bic"


def test_status_grid_marks_missing_quarantined_and_warnings():
    subs = pd.DataFrame({
        "org_code": ["A", "A", "B", "B"], "quarter": ["2024Q1", "2024Q2", "2024Q1", "2024Q1"],
        "status": ["loaded", "quarantined", "loaded", "superseded"],
        "n_rows": [5, 6, 7, 8], "n_errors": [0, 3, 0, 0], "n_warnings": [2, 0, 0, 0],
        "submitted_at": pd.Timestamp("2025-01-01"),
    })
    grid = figures.status_grid(subs, ["A", "B"], ["2024Q1", "2024Q2"]).set_index(
        ["org_code", "quarter"])["status"]
    assert grid[("A", "2024Q1")] == "loaded with warnings"
    assert grid[("A", "2024Q2")] == "quarantined"
    assert grid[("B", "2024Q1")] == "loaded"
    assert grid[("B", "2024Q2")] == "missing"


def test_overlap_matrix_of_the_korea_table(reference_table):
    """Diagonal = people on each list, off-diagonal = pairwise overlaps (Korea.csv, 123 people)."""
    table = reference_table("Korea")
    matrix = figures.overlap_matrix(table)
    on_list = (table.patterns * table.counts[:, None]).sum(axis=0)
    assert np.diag(matrix.to_numpy()).tolist() == on_list.tolist()
    assert (matrix.to_numpy() == matrix.to_numpy().T).all()
    both = table.counts[(table.patterns[:, 0] == 1) & (table.patterns[:, 1] == 1)].sum()
    assert matrix.iloc[0, 1] == both
    frame = figures.capture_frame(table)
    assert frame["count"].sum() == 123 and frame["pattern"].iloc[0] == table.lists[0]


def test_ranking_rows_from_bic_diagnostics():
    ranking = [{"rank": 2, "terms": ["b:c"], "N_hat": 268.8, "BIC": 58.969, "parameters": 5},
               {"rank": 1, "terms": ["b:c", "c:d"], "N_hat": 157.2, "BIC": 57.141,
                "parameters": 6}]
    rows = figures.ranking_rows({"ranking": ranking})
    assert rows["rank"].tolist() == [1, 2]
    assert rows["model"].tolist() == ["b:c + c:d", "b:c"]
    assert figures.ranking_rows({}).empty


def test_quarters():
    assert figures.quarter_range("2024Q3", "2025Q2") == ["2024Q3", "2024Q4", "2025Q1", "2025Q2"]
    assert figures.recent_quarters(date(2025, 2, 10), 3) == ["2025Q1", "2024Q4", "2024Q3"]


def test_headline_sentence():
    head = figures.Headline("2024", 11313.0, 9889.0, 13063.0, 2744.0, 0.95, "aic-stepwise",
                            2, "abc", "2025-01-01", "")
    assert head.hidden_per_recorded == pytest.approx(3.1228, abs=1e-3)
    assert head.sentence() == ("For every recorded victim, about 3 more were not recorded "
                               "by any agency.")


def test_charts_build_and_export_png():
    trend = pd.DataFrame({"period": ["2023", "2024"], "estimate": [9000.0, 11313.0],
                          "lower": [7800.0, 9889.0], "upper": [10600.0, 13063.0],
                          "observed": [2195, 2744]})
    strata = pd.DataFrame({"stratum": ["adult", "child"], "estimate": [13000.0, None],
                           "lower": [11000.0, None], "upper": [15000.0, None],
                           "observed": [2700.0, None]})
    grid = pd.DataFrame({"org_code": ["A", "B"], "quarter": ["2024Q1", "2024Q1"],
                         "status": ["loaded", "quarantined"]})
    built = [
        charts.trend_chart(trend),
        charts.interval_chart(strata, "stratum", reference=11313.0),
        charts.recorded_share_chart(2744, 11313),
        charts.overlap_heatmap(pd.DataFrame([[5, 1], [1, 7]], index=["A", "B"],
                                            columns=["A", "B"])),
        charts.ranking_chart(pd.DataFrame({"rank": [1, 2], "bic": [57.1, 58.9],
                                           "estimate": [157.0, 269.0], "model": ["x", "y"]})),
        charts.posterior_chart(pd.DataFrame({"method": "dga", "N": np.arange(100, 200)})),
        charts.submission_grid(grid),
    ]
    for chart in built:
        assert chart.to_dict()["$schema"].startswith("https://vega.github.io/schema/vega-lite")
    png = charts.to_png(built[0])
    assert png.startswith(PNG_MAGIC) and len(png) > 5000


def test_withheld_strata_are_labelled_not_drawn():
    strata = pd.DataFrame({"stratum": ["adult", "child"], "estimate": [13000.0, None],
                           "lower": [11000.0, None], "upper": [15000.0, None]})
    spec = charts.interval_chart(strata, "stratum").to_dict()
    texts = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    assert len(texts) == 1


def test_runner_records_methods_that_cannot_run(reference_table):
    """Mh-chao needs three lists: on a two-list table it is reported, not raised."""
    table = reference_table("Korea").merge_lists({"cd": ["c", "d"]})
    batch = runner.run_methods([table], ["Mt", "Mh-chao"], Settings(seed=1))
    assert [r.method for r in batch.results] == ["Mt"]
    assert batch.failed and batch.failed[0][1] == "Mh-chao"
    assert batch.frame()["method"].tolist() == ["Mt"]
    steps = []
    runner.run_methods([table], ["Mt"], Settings(), lambda d, t, w: steps.append((d, t)))
    assert steps == [(0, 1), (1, 1)]


def test_headline_first_orders_results(reference_table):
    batch = runner.run_methods([reference_table("Korea")], ["Mt", "M0"], Settings())
    assert [r.method for r in runner.headline_first(batch.results, "M0")] == ["M0", "Mt"]


def test_every_policymaker_method_has_a_plain_note():
    for name in ("aic-stepwise", "stepwise", "bic", "Mt", "Mh-chao", "Mth-poisson2", "dga"):
        assert len(notes.method_note(name)) > 40


def test_diagnostics_list_convergence_of_every_variable(reference_table):
    from dataclasses import replace

    fit = runner.run_methods([reference_table("Korea")], ["Mt"], Settings()).results[0]
    bayes = replace(fit, diagnostics={"rhat": 1.004, "ess_bulk": 812.0, "divergences": 0,
                                      "rhat_by_variable": {"alpha": 1.02, "N": 1.004},
                                      "grid": [1, 2, 3]})
    rows = runner.diagnostics_rows(bayes).set_index("diagnostic")["value"]
    assert rows["rhat_by_variable.alpha"] == "1.02" and "grid" not in rows
    assert runner.convergence(bayes) == {"rhat": 1.004, "ess_bulk": 812.0, "divergences": 0.0}
    assert runner.convergence(fit) == {}


def test_submission_rows_are_labelled_for_readers():
    history = pd.DataFrame([{
        "submission_id": 7, "org_code": "AVON-AND-SOMERSET", "quarter": "2025Q1", "version": 2,
        "status": "loaded", "n_rows": 10, "n_errors": 0, "n_warnings": 1, "file_name": "a.csv",
        "submitted_by": "avon", "submitted_at": "2025-04-02", "file_sha256": "ab",
    }])
    rows = figures.submission_rows(history)
    assert list(rows.columns) == ["Submission", "Quarter", "Version", "Status", "Rows", "Errors",
                                  "Warnings", "File", "Submitted by", "Submitted at"]
    with_org = figures.submission_rows(history, with_org=True)
    assert list(with_org.columns[:3]) == ["Submission", "Organisation", "Quarter"]
    assert with_org.iloc[0]["Organisation"] == "AVON-AND-SOMERSET"
