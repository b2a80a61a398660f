"""The headline query, the recorded headline method, and the read cache around them.

The headline page reads :data:`dashboards.data.published.HEADLINE_SQL` only;
these tests pin its rules on hand-made runs (no estimation needed) and check
that a run's headline method is recorded when it is saved or published.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from darkfigure.auth import User
from darkfigure.errors import UserError
from darkfigure.pipeline.runs import publish_run
from darkfigure.pipeline.setup import init_warehouse
from darkfigure.settings import Settings
from darkfigure.warehouse import connect, queries, store, transaction
from dashboards import data as da
from dashboards.data import published, warehouse

POLLY = User("polly", "policymaker")
WHEN = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """An empty, current warehouse as this installation."""
    monkeypatch.setenv("DARKFIGURE_DEMO", "1")
    monkeypatch.setenv("DARKFIGURE_HOME", str(tmp_path))
    init_warehouse(Settings.from_env(), actor="test")
    da.clear_caches()
    return tmp_path


def _run(period: str, methods: list[str], *, settings: dict | None = None,
         status: str = "published", by: str | None = None,
         estimates: dict[str, float] | None = None, stratum: str = "all") -> int:
    """A run with one whole-population estimate per method (``estimates``: method -> N)."""
    with connect(Settings.from_env().warehouse_path) as con, transaction(con):
        run_id = store.insert_estimate_run(con, {
            "created_at": WHEN, "created_by": "test", "period": period, "stratify_by": by,
            "methods": methods, "status": status, "data_hash": "f" * 64,
            "settings": settings or {}, "published_at": WHEN if status == "published" else None,
        })
        values = estimates or {m: 100.0 * (i + 1) for i, m in enumerate(methods)}
        store.insert_estimates(con, pd.DataFrame([{
            "run_id": run_id, "stratum": stratum, "method": m, "observed": 40, "estimate": n,
            "lower": n - 10, "upper": n + 10, "level": 0.95,
        } for m, n in values.items()]))
    return run_id


def test_newest_whole_population_run_of_each_year(home):
    _run("2023", ["Mt"], estimates={"Mt": 100.0})
    _run("2023", ["Mt"], estimates={"Mt": 200.0})           # newer: replaces the first
    _run("2024", ["Mt"], estimates={"Mt": 300.0})
    _run("2024Q1", ["Mt"], estimates={"Mt": 50.0})          # a quarter: not in the trend
    _run("2024", ["Mt"], by="age_group", stratum="age_group=child")  # a breakdown
    _run("2024", ["Mt"], status="draft", estimates={"Mt": 999.0})     # not published
    trend = da.trend(POLLY)
    assert trend["period"].tolist() == ["2023", "2024"]
    assert trend["estimate"].tolist() == [200.0, 300.0]


def test_recorded_headline_method_is_used_and_old_runs_fall_back_to_the_first(home):
    _run("2023", ["stepwise", "bic"])                         # saved before headlines
    _run("2024", ["stepwise", "bic"], settings={"headline": "bic"})
    trend = da.trend(POLLY).set_index("period")
    assert trend.at["2023", "method"] == "stepwise" and trend.at["2023", "estimate"] == 100.0
    assert trend.at["2024", "method"] == "bic" and trend.at["2024", "estimate"] == 200.0
    head = da.headline(POLLY)
    assert head is not None and (head.period, head.method, head.estimate) == ("2024", "bic", 200.0)
    assert head.published_at == "2025-06-01 12:00"


def test_publishing_records_the_headline(home):
    settings = Settings.from_env()
    old = _run("2023", ["stepwise", "bic"], status="draft")
    named = _run("2024", ["stepwise", "bic"], status="draft")
    publish_run(settings, old, actor="ana")
    publish_run(settings, named, actor="ana", headline="bic")
    with connect(settings.warehouse_path, read_only=True) as con:
        assert queries.estimate_run(con, old)["settings"]["headline"] == "stepwise"
        assert queries.estimate_run(con, named)["settings"]["headline"] == "bic"
    assert da.headline(POLLY).method == "bic"
    wrong = _run("2025", ["Mt"], status="draft")
    with pytest.raises(UserError, match="has no bic estimate"):
        publish_run(settings, wrong, actor="ana", headline="bic")


def test_sign_in_keeps_the_cached_headline_but_other_writes_do_not(home, monkeypatch):
    """A sign-in writes a session, not an estimate: the headline read just before stays
    cached.  A write by anything else (here the CLI's publish) is read afresh."""
    from darkfigure import auth

    settings = Settings.from_env()
    _run("2024", ["Mt"])
    with connect(settings.warehouse_path) as con:
        auth.create_user(con, "polly", "a long enough password", "policymaker")
    loads = []
    real = published._read_headline_rows
    monkeypatch.setattr(published, "_read_headline_rows",
                        lambda path: loads.append(path) or real(path))
    da.headline(POLLY)
    before = warehouse.raw_version(settings.warehouse_path)
    da.sign_in("polly", "a long enough password")
    assert warehouse.raw_version(settings.warehouse_path) != before  # the file did change
    da.headline(POLLY)
    assert len(loads) == 1
    draft = _run("2025", ["Mt"], status="draft", estimates={"Mt": 700.0})
    publish_run(settings, draft, actor="cli")
    assert da.headline(POLLY).estimate == 700.0
    assert len(loads) == 2
