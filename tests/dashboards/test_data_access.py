"""Access rules of the data-access layer (dashboards.data), role by role.

The pages only ask; these functions decide.  Every test here reads the fixture
warehouse of warehouse_fixture.py through the same calls the pages make.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from darkfigure.auth import User
from dashboards import data as da
from dashboards.data import AccessDenied

AVON = User("avon", "force", "AVON-AND-SOMERSET")
BEDS = User("beds", "force", "BEDFORDSHIRE")
POLLY = User("polly", "policymaker")
ANA = User("ana", "analyst")
ADMIN = User("admin", "admin")


def test_force_reads_only_its_own_submissions(warehouse):
    own = da.submissions(AVON)
    assert not own.empty and set(own["org_code"]) == {"AVON-AND-SOMERSET"}
    assert da.submissions(AVON, "BEDFORDSHIRE").empty
    assert set(da.data_status(AVON)["org_code"]) == {"AVON-AND-SOMERSET"}
    assert da.organisations(AVON)["org_code"].tolist() == ["AVON-AND-SOMERSET"]


def test_force_cannot_read_another_forces_report(warehouse):
    assert da.submission_report(AVON, warehouse.quarantined) is None
    sub, issues = da.submission_report(BEDS, warehouse.quarantined)
    assert sub["org_code"] == "BEDFORDSHIRE"
    assert {"row_number", "column_name", "message", "fix"} <= set(issues.columns)
    assert len(issues) == 2


def test_force_submits_only_for_itself(warehouse):
    with pytest.raises(AccessDenied):
        da.upload_return(AVON, "x.csv", b"", "2024Q1", org_code="BEDFORDSHIRE")
    name, data = da.template(AVON, "2025Q1", "csv", org_code="BEDFORDSHIRE")
    assert "AVON-AND-SOMERSET" in name and data.startswith(b"\xef\xbb\xbfrecord_ref")


@pytest.mark.parametrize("call", [
    lambda u: da.headline(u), lambda u: da.trend(u), lambda u: da.runs(u),
    lambda u: da.breakdown(u, "age_group"), lambda u: da.capture_tables(u, "2024"),
    lambda u: da.periods(u), lambda u: da.users(u),
])
def test_force_sees_no_estimates_or_capture_tables(warehouse, call):
    with pytest.raises(AccessDenied):
        call(AVON)


def test_policymaker_sees_only_published_runs(warehouse):
    runs = da.runs(POLLY)
    assert set(runs["status"]) == {"published"}
    assert warehouse.draft_run not in set(runs["run_id"])
    with pytest.raises(AccessDenied, match="not published"):
        da.run_detail(POLLY, warehouse.draft_run)
    trend = da.trend(POLLY)
    assert trend["period"].tolist() == ["2023", "2024"]  # the 2025 draft is absent
    assert not (trend["estimate"].round(6) == round(warehouse.draft_estimate, 6)).any()


def test_policymaker_never_sees_a_count_under_the_threshold(warehouse):
    rows, run = da.breakdown(POLLY, "age_group")
    assert run["run_id"] == warehouse.published["age_group"]
    child = rows[rows["stratum"] == "child"].iloc[0]
    assert child["suppressed"] and pd.isna(child["observed"]) and pd.isna(child["estimate"])
    shown = rows["observed"].dropna().astype(float)
    assert (shown >= da.disclosure_threshold()).all()
    # Secondary suppression: with the total published, one more stratum is withheld.
    assert int(rows["suppressed"].sum()) == 2
    _, detail = da.run_detail(POLLY, warehouse.published["age_group"])
    assert (detail["observed"].dropna().astype(float) >= da.disclosure_threshold()).all()
    assert "capture_table" not in detail.columns


@pytest.mark.parametrize("call", [
    lambda u: da.capture_tables(u, "2024"), lambda u: da.periods(u),
    lambda u: da.submissions(u), lambda u: da.users(u),
])
def test_policymaker_cannot_read_working_data(warehouse, call):
    with pytest.raises(AccessDenied):
        call(POLLY)


def test_analyst_sees_drafts_and_small_counts(warehouse):
    runs = da.runs(ANA)
    assert warehouse.draft_run in set(runs["run_id"])
    run, _ = da.run_detail(ANA, warehouse.draft_run)
    assert run["status"] == "draft"
    rows, _ = da.breakdown(ANA, "age_group")
    assert rows.set_index("stratum").at["child", "observed"] == 3
    assert len(da.submissions(ANA)["org_code"].unique()) > 2
    with pytest.raises(AccessDenied):
        da.users(ANA)


def test_headline_and_ratio(warehouse):
    """Fixture 2024 = the UK 2013 table, aic-stepwise first: N = 11,313 on 2,744 observed
    (Home Office 2014; reference/README.md)."""
    head = da.headline(POLLY)
    assert head.period == "2024" and head.method == "aic-stepwise"
    assert head.estimate == pytest.approx(11313, abs=1)
    assert head.observed == 2744
    assert head.hidden_per_recorded == pytest.approx((11313 - 2744) / 2744, rel=1e-3)
    comparison = da.method_comparison(POLLY, head.run_id)
    assert set(comparison["method"]) == {"aic-stepwise", "bic", "Mt", "Mh-chao"}


def test_admin_manages_users(writable_warehouse):
    da.add_user(ADMIN, "newbie", "a long enough password", "policymaker")
    assert "newbie" in set(da.users(ADMIN)["username"])
    with pytest.raises(AccessDenied):
        da.add_user(ANA, "sneaky", "a long enough password", "admin")
    da.set_user_active(ADMIN, "newbie", False)
    assert da.users(ADMIN).set_index("username").at["newbie", "status"] == "disabled"


def test_sign_in_records_failures_and_sessions(writable_warehouse):
    from darkfigure.auth import AuthError

    with pytest.raises(AuthError):
        da.sign_in("ana", "wrong password!")
    failures = da.users(ADMIN).set_index("username").at["ana", "failed_attempts"]
    assert failures == 1
    user, token = da.sign_in("ana", "fixture passphrase 1")
    assert da.session_user(token) == user
    da.sign_out(token)
    assert da.session_user(token) is None


def test_a_write_by_another_process_shows_on_the_next_read(writable_warehouse):
    """Reads are cached per warehouse version: a publish made elsewhere appears at once."""
    from darkfigure.pipeline.runs import publish_run
    from darkfigure.settings import Settings

    assert len(da.trend(POLLY)) == 2
    publish_run(Settings.from_env(), writable_warehouse.draft_run, actor="cli")
    assert da.trend(POLLY)["period"].tolist() == ["2023", "2024", "2025"]


def test_policymaker_totals_under_the_threshold_are_withheld(warehouse, monkeypatch):
    """With the threshold at 2,500, the 2023 total (2,195 recorded) is withheld, 2024's kept."""
    monkeypatch.setenv(da.THRESHOLD_ENV, "2500")
    trend = da.trend(POLLY).set_index("period")
    assert pd.isna(trend.at["2023", "observed"]) and pd.isna(trend.at["2023", "estimate"])
    assert trend.at["2024", "observed"] == 2744
    assert da.trend(ANA).set_index("period").at["2023", "observed"] == 2195
    monkeypatch.setenv(da.THRESHOLD_ENV, "3000")
    head = da.headline(POLLY)
    assert head is not None and np.isnan(head.observed) and np.isnan(head.estimate)
    assert da.method_comparison(POLLY, head.run_id)["observed"].isna().all()
