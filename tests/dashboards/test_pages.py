"""Every page for every role, driven by Streamlit's AppTest (no browser).

Checks what each reader sees and that the navigation offers no page a role
may not use; the data-level access rules are in test_data_access.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from warehouse_fixture import PASSWORD

from dashboards import ui

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
POLICY_PAGES = ["views/overview.py", "views/breakdowns.py", "views/methods.py"]
ANALYSIS_PAGES = ["views/data_status.py", "views/capture.py", "views/estimate.py",
                  "views/runs.py", "views/returns.py"]
BAD_CSV = (
    b"record_ref,first_encountered,given_name,family_name,date_of_birth,estimated_age,sex,"
    b"nationality,exploitation_types,age_group,force_area,nrm_referred\n"
    b"B-1,2024-01-14,Ana,Smith,1994-03-02,,female,XXX,labour,adult,E23000036,yes\n"
    b"B-2,2024-02-01,Jo,Brown,,31,male,GBR,labour,adult,E23000036,maybe\n"
)


def _text(at: AppTest) -> str:
    parts = [e.value for e in (*at.title, *at.markdown, *at.caption, *at.info, *at.error,
                               *at.success, *at.warning, *at.subheader)]
    return "\n".join(str(p) for p in parts)


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_sign_in_page_and_wrong_password(warehouse):
    at = _ok(AppTest.from_file(str(APP), default_timeout=60).run())
    assert [t.value for t in at.title] == ["darkfigure"]
    at.text_input[0].set_value("polly")
    at.text_input[1].set_value("not the password")
    _ok(at.button[0].click().run())
    assert "not right" in _text(at)
    at.text_input[1].set_value(PASSWORD)
    _ok(at.button[0].click().run())
    assert "about 11,300" in _text(at)


def test_policymaker_headline_and_navigation(warehouse, signed_in):
    at = _ok(signed_in("polly").run())
    text = _text(at)
    assert "Estimated victims in 2024" in text and "about 11,300" in text
    assert "about 3.1 more" in text or "about 3 more" in text
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/capture.py")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/users.py")


def test_policymaker_breakdown_withholds_small_strata(warehouse, signed_in):
    at = _ok(signed_in("polly").run())
    _ok(at.switch_page("views/breakdowns.py").run())
    frame = at.dataframe[0].value
    children = frame[frame.iloc[:, 0] == "child"].iloc[0]
    assert children["Recorded"] == "[c]" and children["Estimated"] == "[c]"
    assert "3" not in frame["Recorded"].tolist()
    assert "withheld" in _text(at)


def test_policymaker_methods_page_shows_every_published_method(warehouse, signed_in):
    at = _ok(signed_in("polly").run())
    _ok(at.switch_page("views/methods.py").run())
    methods = set(at.dataframe[0].value["Method"])
    assert methods == {"aic-stepwise", "bic", "Mt", "Mh-chao"}
    assert "range from" in _text(at)


def test_analyst_and_admin_pages_render(warehouse, signed_in):
    for name, pages in (("ana", ANALYSIS_PAGES + POLICY_PAGES),
                        ("admin", ["views/users.py", *ANALYSIS_PAGES[:2]])):
        at = _ok(signed_in(name).run())
        assert [t.value for t in at.title] == ["Data status"]
        for page in pages:
            _ok(at.switch_page(page).run())
            assert at.title, page


def test_analyst_capture_table_matches_the_data(warehouse, signed_in):
    """The fixture's 2024 returns are the UK 2013 table: 2,744 people on 5 lists."""
    at = _ok(signed_in("ana").run())
    _ok(at.switch_page("views/capture.py").run())
    table = at.dataframe[0].value
    assert int(table["count"].sum()) == 2744
    assert list(table.columns[1:6]) == ["LA", "NG", "PF", "GO", "GP"]


def test_analyst_runs_saves_and_publishes_an_estimate(writable_warehouse, signed_in):
    at = _ok(signed_in("ana").run())
    _ok(at.switch_page("views/estimate.py").run())
    at.multiselect[0].set_value(["Mt", "stepwise"])
    _ok(at.button[0].click().run())
    results = at.dataframe[0].value
    assert set(results["method"]) == {"Mt", "stepwise"}
    # Stepwise on the UK table: 11,313 (Chan, Silverman and Vincent 2021 rule; README).
    assert results.set_index("method").at["stepwise", "estimate"] == pytest.approx(11313, abs=1)
    save_form = [b for b in at.button if b.label == "Save run"][0]
    at.checkbox[0].check()
    _ok(save_form.click().run())
    assert "is published" in _text(at)
    at.switch_page("views/overview.py")
    _ok(at.run())
    assert "Estimated victims in 2024" in _text(at)


def test_analyst_publishes_a_draft_from_saved_runs(writable_warehouse, signed_in):
    at = _ok(signed_in("ana").run())
    _ok(at.switch_page("views/runs.py").run())
    assert f"Run {writable_warehouse.draft_run} · draft" in _text(at)
    _ok([b for b in at.button if b.label == "Publish"][0].click().run())
    _ok(at.run())
    assert "· published" in _text(at)


def test_force_sees_returns_only(warehouse, signed_in):
    at = _ok(signed_in("avon").run())
    assert [t.value for t in at.title] == ["Quarterly returns"]
    history = at.dataframe[0].value
    assert len(history) > 0
    for page in POLICY_PAGES + ANALYSIS_PAGES[:-1]:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)


def test_force_uploads_a_return_and_reads_its_report(writable_warehouse, signed_in):
    at = _ok(signed_in("avon").run())
    at.file_uploader(key="upload_file").upload("bad.csv", BAD_CSV, "text/csv")
    _ok(at.run())
    _ok(at.button(key="upload_submit").click().run())
    assert "quarantined" in _text(at)
    report = at.table[0].value.reset_index()  # a short report: a table whose text wraps
    assert {"Row", "Column", "Problem", "How to fix it"} <= set(report.columns)
    assert "nationality" in set(report["Column"])
    assert at.download_button(key="report_download_upload").label == "Download the report (CSV)"
    # The history lists it first, and its report is the one shown there after the upload.
    history = next(d.value for d in at.dataframe if "Submission" in d.value.columns)
    newest = int(history["Submission"].iloc[0])
    assert history["Status"].iloc[0] == "quarantined"
    assert at.selectbox(key=f"history_pick_{newest}").value == newest


def test_a_long_report_is_shown_in_a_scrolling_grid(writable_warehouse, signed_in):
    """Over WRAPPED_ROWS (100) problems the report is a grid, not a table of every row."""
    header, first = BAD_CSV.split(b"\n")[:2]
    rows = [first.replace(b"B-1", f"B-{i}".encode()) for i in range(1, 61)]  # 2-3 problems each
    at = _ok(signed_in("avon").run())
    at.file_uploader(key="upload_file").upload("long.csv", b"\n".join([header, *rows]) + b"\n",
                                               "text/csv")
    _ok(at.run())
    _ok(at.button(key="upload_submit").click().run())
    assert not at.table
    report = at.dataframe[0].value
    assert len(report) > 100 and {"Problem", "How to fix it"} <= set(report.columns)


def test_admin_adds_a_user(writable_warehouse, signed_in):
    at = _ok(signed_in("admin").run())
    _ok(at.switch_page("views/users.py").run())
    form = {t.label: t for t in at.text_input}
    form["Username"].set_value("newcomer")
    form["Initial password"].set_value("a long enough password")
    at.selectbox[0].set_value("analyst")
    _ok([b for b in at.button if b.label == "Add"][0].click().run())
    assert "newcomer" in set(at.dataframe[0].value["username"])


def test_signing_out_and_ended_sessions_return_to_sign_in(warehouse, signed_in, monkeypatch):
    from dashboards import data as da

    at = _ok(signed_in("ana").run())
    _ok(at.button(key="sign_out").click().run())
    assert [t.value for t in at.title] == ["darkfigure"]
    # A session ended elsewhere (expiry, an admin) is noticed at the next check.
    at = _ok(signed_in("ana").run())
    da.sign_out(at.session_state[ui.TOKEN])
    _ok(at.run())
    assert [t.value for t in at.title] == ["Data status"]  # checked less than 30 s ago
    monkeypatch.setattr(ui, "RECHECK_SECONDS", 0.0)
    _ok(at.run())
    assert "session has ended" in _text(at)


def test_withheld_headline_renders_as_withheld(warehouse, signed_in, monkeypatch):
    from dashboards import data as da

    monkeypatch.setenv(da.THRESHOLD_ENV, "3000")
    at = _ok(signed_in("polly").run())
    text = _text(at)
    assert "about [c]" in text and "2,744" not in text and "Withheld" in text


def test_a_fault_shows_a_reference_not_a_traceback(warehouse, signed_in, monkeypatch, caplog):
    """Outside debug mode a defect in a page (here the headline read raising RuntimeError)
    shows the reader a plain message with a reference; the log has the traceback."""
    from dashboards import data as da

    def broken(user):
        raise RuntimeError("a defect deep in the data layer")

    monkeypatch.delenv("DARKFIGURE_DEBUG")
    monkeypatch.setattr(da, "headline", broken)
    with caplog.at_level("ERROR", logger="darkfigure.dashboard"):
        at = signed_in("polly").run()
    assert not at.exception
    message = " ".join(e.value for e in at.error)
    assert "fault in darkfigure (reference" in message and "RuntimeError" not in message
    reference = message.split("reference ")[1][:8]
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert "a defect deep in the data layer" in str(logged[0].exc_info[1])
