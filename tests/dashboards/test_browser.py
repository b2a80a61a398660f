"""The dashboard in headless Chromium: sign in as each role, walk the pages, upload.

Screenshots of every page go to tests/artifacts/screenshots/ (git-ignored).
Skipped when Chromium is missing, unless DARKFIGURE_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from browser_support import CHROMIUM_ARGS, chromium_path, dashboard_server, sign_in, wait_idle
from warehouse_fixture import PASSWORD

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
BAD_CSV = Path(__file__).resolve().parent / "data" / "return_with_errors.csv"


@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    if path is None:
        if os.environ.get("DARKFIGURE_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is not installed and DARKFIGURE_REQUIRE_BROWSER=1")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        chromium = play.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def app_url(built_warehouse, tmp_path_factory):
    home = tmp_path_factory.mktemp("browser") / "home"
    shutil.copytree(built_warehouse.home, home)
    with dashboard_server(home) as url:
        yield url


def _page(browser):
    # Tall enough that a screenshot shows the whole page (Streamlit scrolls inside).
    context = browser.new_context(viewport={"width": 1366, "height": 1500})
    return context, context.new_page()


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _grid_shows(page, *words: str) -> None:
    """Wait until a data grid's or table's text holds every word: grids draw late."""
    condition = " && ".join(f"t.includes({w!r})" for w in words)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stDataFrame], [data-testid=stTable]')]"
        f".some(g => {{ const t = g.textContent || ''; return {condition}; }})",
        timeout=30_000,
    )


def _visit(page, link: str, expect: str, shot: str) -> None:
    page.get_by_role("link", name=link).click()
    page.get_by_text(expect, exact=False).first.wait_for(timeout=60_000)
    wait_idle(page)
    _shot(page, shot)


def test_policymaker_reads_headline_breakdowns_and_methods(browser, app_url):
    context, page = _page(browser)
    try:
        page.goto(app_url)
        page.get_by_role("button", name="Sign in").wait_for()
        wait_idle(page)
        _shot(page, "00_sign_in")
        sign_in(page, app_url, "polly", PASSWORD)
        page.get_by_text("about 11,300").wait_for(timeout=60_000)
        wait_idle(page)
        _shot(page, "policymaker_1_headline")
        body = page.locator("body").inner_text()
        assert "Estimated victims in 2024" in body
        assert "Data status" not in body and "Users" not in body
        _visit(page, "Breakdowns", "Adults and children, 2024", "policymaker_2_breakdowns")
        assert "[c]" in page.locator("body").inner_text()
        _visit(page, "How sure are we?", "Reading these figures", "policymaker_3_methods")
    finally:
        context.close()


def test_analyst_walks_the_analysis_pages(browser, app_url):
    context, page = _page(browser)
    try:
        sign_in(page, app_url, "ana", PASSWORD)
        page.get_by_text("Submissions").first.wait_for(timeout=60_000)
        wait_idle(page)
        _shot(page, "analyst_1_data_status")
        _visit(page, "Capture tables", "List overlaps", "analyst_2_capture")
        _visit(page, "Run an estimate", "Choose a period", "analyst_3_estimate_form")
        page.get_by_role("button", name="Run").click()
        page.get_by_text("Results for").wait_for(timeout=120_000)
        wait_idle(page)
        _shot(page, "analyst_4_estimate_results")
        _visit(page, "Saved runs", "Run ", "analyst_5_runs")
    finally:
        context.close()


def test_force_uploads_a_return_and_reads_its_report(browser, app_url):
    context, page = _page(browser)
    try:
        sign_in(page, app_url, "avon", PASSWORD)
        page.get_by_text("Quarterly returns").wait_for(timeout=60_000)
        wait_idle(page)
        _shot(page, "force_1_returns")
        page.locator("input[type=file]").set_input_files(str(BAD_CSV))
        submit = page.get_by_role("button", name="Submit")
        page.wait_for_function(
            "() => [...document.querySelectorAll('button')].some("
            "b => b.innerText.includes('Submit') && !b.disabled)", timeout=30_000)
        submit.click()
        upload_tab = page.get_by_role("tabpanel", name="Upload a return")
        upload_tab.get_by_text("Validation report").wait_for(timeout=120_000)
        wait_idle(page)
        _shot(page, "force_2_report")
        body = page.locator("body").inner_text()
        assert "quarantined" in body.lower() and "error(s)" in body
        _grid_shows(page, "nationality", "How to fix it")
        page.get_by_role("tab", name="History").click()
        page.get_by_role("tabpanel", name="History").get_by_text(
            "Validation report").wait_for(timeout=60_000)
        wait_idle(page)
        _shot(page, "force_3_history")
    finally:
        context.close()


def test_admin_sees_users(browser, app_url):
    context, page = _page(browser)
    try:
        sign_in(page, app_url, "admin", PASSWORD)
        page.get_by_text("Submissions").first.wait_for(timeout=60_000)
        _visit(page, "Users", "Add a user", "admin_1_users")
        _grid_shows(page, "polly", "policymaker")
    finally:
        context.close()
