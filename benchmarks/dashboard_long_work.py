"""Long work beside a reader, for :mod:`bench_dashboard`: while a force uploads a large
return, and while an analyst runs MCMC estimates, a policymaker opens the first page.

Each check takes the benchmark's ``first_page(browser, url)`` (the timed first page
in a new browser context) and returns what it saw; ``*_text`` puts it in words.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from browser_support import sign_in, wait_idle

FORCE, FORCE_PASSWORD, FORCE_ORG = "force", "force-demo", "AVON-AND-SOMERSET"
ANALYST, ANALYST_PASSWORD = "analyst", "analyst-demo"
FIRST = "first page: open, sign in, headline drawn"
FirstPage = Callable[[Any, str], tuple[dict[str, float], Any, Any]]


def big_return(folder: Path, rows: int, quarter: str) -> Path:
    """A clean ``rows``-row CSV return of the demo force for ``quarter``."""
    import numpy as np
    import pandas as pd
    from bench_intake import make_returns

    path = make_returns(folder, 1, rows)[0][0]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    year, q = int(quarter[:4]), int(quarter[-1])
    start = np.datetime64(f"{year}-{3 * q - 2:02d}-01")
    days = np.random.default_rng(3).integers(0, 89, len(frame))
    frame["first_encountered"] = (start + days).astype("datetime64[D]").astype(str)
    frame["record_ref"] = [f"AVS-{quarter}-{i:06d}" for i in range(len(frame))]
    out = folder / f"return_{FORCE_ORG}_{quarter}.csv"
    frame.to_csv(out, index=False)
    return out


def upload_check(browser, url: str, rows: int, folder: Path, ready: Callable[[], bool],
                 first_page: FirstPage) -> dict[str, object]:
    """A force user uploads a large return; meanwhile a policymaker opens the first page.

    Starts once the server's warm-up has prepared Great Expectations (it waits
    for a quiet moment, which the runs before did not give it), as on a server
    that has been up a while.
    """
    from dashboards.figures import recent_quarters

    waited = time.perf_counter()
    while not ready() and time.perf_counter() - waited < 180:
        time.sleep(0.5)

    quarter = recent_quarters(date.today(), 8)[1]  # the upload page's default quarter
    path = big_return(folder, rows, quarter)
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    sign_in(page, url, FORCE, FORCE_PASSWORD)
    page.get_by_text("Quarterly returns").wait_for(timeout=60_000)
    wait_idle(page)
    page.locator("input[type=file]").set_input_files(str(path))
    page.wait_for_function(
        "() => [...document.querySelectorAll('button')].some("
        "b => b.innerText.includes('Submit') && !b.disabled)", timeout=60_000)
    labels: list[str] = []
    start = time.perf_counter()
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("Checking return_").first.wait_for(timeout=60_000)
    shown = time.perf_counter() - start
    times, other, _ = first_page(browser, url)  # while the upload is being checked
    reader_done = time.perf_counter() - start
    while True:
        text = page.locator("body").inner_text()
        labels += re.findall(r"Checking return_\S+: (\d+) s", text)
        if "Validation report" in text:
            break
        if time.perf_counter() - start > 600:
            raise RuntimeError("the upload did not finish within 10 minutes")
        page.wait_for_timeout(200)
    finished = time.perf_counter() - start
    outcome = re.search(r"submission \d+ \([^)]*\), (\d+) rows, (\d+) error\(s\), (\d+) warning",
                        page.locator("body").inner_text())
    context.close()
    other.close()  # type: ignore[attr-defined]
    return {"rows": rows, "shown": shown, "finished": finished, "reader": times,
            "reader_done": reader_done, "ticks": sorted({int(x) for x in labels}),
            "report": outcome.groups() if outcome else None}


def upload_text(check: dict[str, object]) -> str:
    """The upload check in words."""
    reader = check["reader"]
    assert isinstance(reader, dict)
    report = check["report"]
    outcome = (f"report: {report[0]} rows, {report[1]} errors, {report[2]} warnings"
               if isinstance(report, tuple) else "report not read")
    still = float(check["reader_done"]) < float(check["finished"])  # type: ignore[arg-type]
    ticks = (f"its elapsed-time label read {check['ticks']} s" if check["ticks"] else
             "its elapsed-time label was not caught (read only after the policymaker's page)")
    return (
        f"Once the warm-up had prepared the upload worker process (Great Expectations "
        f"loaded there), a force user uploaded a "
        f"{check['rows']:,}-row CSV return: its progress box showed "
        f"{float(check['shown']):.2f} s after Submit, {ticks}, and the report came after "
        f"{float(check['finished']):.1f} s ({outcome}).  Meanwhile a policymaker opened the "
        f"first page in another tab: {reader[FIRST]:.2f} s "
        f"(sign-in to headline drawn {reader['sign-in to headline drawn']:.2f} s); the upload "
        f"was {'still running' if still else 'already finished'} when the headline was drawn."
    )




def estimate_check(browser, url: str, methods: list[str],
                   first_page: FirstPage) -> dict[str, object]:
    """An analyst runs ``methods`` (added to the page's defaults) on the default period;
    a second after it starts, a policymaker opens the first page in another tab."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    sign_in(page, url, ANALYST, ANALYST_PASSWORD)
    page.get_by_role("link", name="Run an estimate").click()
    page.get_by_text("Methods").first.wait_for(timeout=60_000)
    wait_idle(page)
    chooser = page.locator("[data-testid=stMultiSelect] input")
    for method in methods:
        chooser.click()
        chooser.fill(method)
        page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    start = time.perf_counter()
    page.get_by_role("button", name="Run").click()
    page.get_by_text("Estimating").first.wait_for(timeout=60_000)
    time.sleep(1.0)  # the fits are under way (MCMC sampling starts within a second)
    times, other, _ = first_page(browser, url)
    reader_done = time.perf_counter() - start
    # Done, or an error on the page (then say what it was rather than wait).
    page.locator("[data-testid=stAlertContentError], [data-testid=stException]").or_(
        page.get_by_text("Done:")).first.wait_for(timeout=600_000)
    finished = time.perf_counter() - start
    if "Done:" not in page.locator("body").inner_text():
        raise RuntimeError("the estimate failed: " + page.locator("body").inner_text()[-400:])
    other.close()
    context.close()
    return {"methods": methods, "reader": times, "reader_done": reader_done,
            "finished": finished}


def estimate_text(check: dict[str, object]) -> str:
    """The estimation check in words."""
    reader = check["reader"]
    assert isinstance(reader, dict)
    methods = check["methods"]
    assert isinstance(methods, list)
    still = float(check["reader_done"]) < float(check["finished"])  # type: ignore[arg-type]
    return (
        f"An analyst ran stepwise, bic and Mt with {', '.join(methods)} (MCMC) on the "
        f"default period from the estimate page (fits in a thread at nice 10); it finished "
        f"after {float(check['finished']):.1f} s.  A second after it started a policymaker "
        f"opened the first page in another tab: {reader[FIRST]:.2f} s (sign-in to headline "
        f"drawn {reader['sign-in to headline drawn']:.2f} s); the estimate was "
        f"{'still running' if still else 'already finished'} when the headline was drawn."
    )
