"""How fast a policymaker sees the headline, measured in a real browser.

Serves the dashboard as ``darkfigure dashboard`` does (``python -m
dashboards.serve``: warm-up thread, then Streamlit) against a copy of a
warehouse, drives Debian's headless Chromium with Playwright, and times the
**first page**: open the app in a new tab (nothing cached in the browser) ->
the sign-in form is shown -> username and password typed (instantly) -> Sign in
pressed -> the headline figure is shown and its two charts are drawn.  Target:
under 2 s.  Its parts are reported too, and *menu to headline* (clicking
*Headline* from another page).  The first run is on a server started a moment
before (health check answered; the warm-up thread still running).

Then it checks that long work does not block other readers
(:mod:`dashboard_long_work`): with ``--estimate-methods`` (default
``lcmcr,bayes-loglinear``; empty skips it) an analyst runs those MCMC methods
from the estimate page, and with ``--upload-rows N`` (default 20,000; 0 skips
it) a force user uploads an N-row return; in both, while the work runs, a
policymaker opens the first page in another tab.

With ``--baseline DIR`` (a checkout of an earlier revision, e.g. ``git worktree
add /tmp/base c54192c``) it also compares before and after at the same load:
``--rounds`` times, a fresh server of each (in alternating order) serves three
first pages, the first of them cold.

Prints a table and writes ``benchmarks/results/dashboard.md``.

    .venv/bin/python benchmarks/bench_dashboard.py --home DIR [--runs 5] \
        [--baseline DIR --rounds 3]

``--home`` is a warehouse with the demo sign-ins (``darkfigure demo``); it is
copied, never changed.  Without it the test suite's fixture warehouse is built
under ``var/bench-dashboard``.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "dashboards"))
sys.path.insert(0, str(REPO / "benchmarks"))

from browser_support import (  # noqa: E402
    CHROMIUM_ARGS,
    chromium_path,
    dashboard_server,
    wait_idle,
)
from dashboard_long_work import (  # noqa: E402
    estimate_check,
    estimate_text,
    upload_check,
    upload_text,
)

RESULTS = REPO / "benchmarks" / "results" / "dashboard.md"
TARGET = 2.0
USER, PASSWORD = "policymaker", "policymaker-demo"
HEADLINE = "() => document.querySelector('.df-headline') !== null"
# Charts outside the sign-in page's hidden preload chart, drawn (canvas or svg).
DRAWN = (
    "() => document.querySelector('.df-headline') !== null && "
    "[...document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]')].filter("
    "c => !c.closest('.st-key-chart_preload') && c.querySelector('canvas, svg')).length >= 2"
)
#: The same first page in a new tab of a browser that has opened the app before (its
#: HTTP cache holds Streamlit's scripts, as a policymaker's browser would): a new
#: session, so signing in again.
RETURNING = "first page again, new tab of the same browser (scripts cached)"
MEASURES = ("first page: open, sign in, headline drawn", "open to sign-in form",
            "sign-in to headline figure", "sign-in to headline drawn", "menu to headline",
            RETURNING)


def ensure_fixture(home: Path) -> None:
    """Build the fixture warehouse with a demo-style policymaker sign-in, once."""
    if (home / "warehouse.duckdb").exists():
        return
    os.environ["DARKFIGURE_HOME"] = str(home)
    os.environ["DARKFIGURE_DEMO"] = "1"
    import warehouse_fixture

    from darkfigure import auth
    from darkfigure.warehouse import connect

    warehouse_fixture.build(home)
    with connect(home / "warehouse.duckdb") as con:
        auth.create_user(con, USER, PASSWORD, "policymaker")


def warehouse_size(home: Path) -> dict[str, int]:
    """Rows in the tables the headline depends on, for the record."""
    import duckdb

    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return {
            table: int((con.execute(f"SELECT count(*) FROM {table}").fetchone() or (0,))[0])
            for table in ("submissions", "records", "estimate_runs", "estimates")
        }
    finally:
        con.close()


def first_page(browser, url: str, context=None) -> tuple[dict[str, float], object, object]:
    """Open, sign in, wait for the drawn headline; seconds per measure, and the page.

    In a new browser context (nothing cached) unless ``context`` is given.
    """
    context = context or browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
    form = time.perf_counter()
    page.get_by_role("textbox", name="Username").fill(USER)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    clicked = time.perf_counter()
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_function(HEADLINE, timeout=60_000, polling="raf")
    figure = time.perf_counter()
    page.wait_for_function(DRAWN, timeout=60_000, polling="raf")
    end = time.perf_counter()
    return {"first page: open, sign in, headline drawn": end - start,
            "open to sign-in form": form - start,
            "sign-in to headline figure": figure - clicked,
            "sign-in to headline drawn": end - clicked}, context, page


def measure(browser, url: str, runs: int) -> dict[str, list[float]]:
    """Seconds per measure over ``runs`` browser sessions (each a new context)."""
    out: dict[str, list[float]] = {name: [] for name in MEASURES}
    for _ in range(runs):
        times, context, page = first_page(browser, url)
        for name, value in times.items():
            out[name].append(value)
        wait_idle(page)
        page.get_by_role("link", name="Breakdowns").click()
        page.get_by_text("Break down by").wait_for(timeout=60_000)
        wait_idle(page)
        start = time.perf_counter()
        page.get_by_role("link", name="Headline").click()
        page.wait_for_function(DRAWN, timeout=60_000, polling="raf")
        out["menu to headline"].append(time.perf_counter() - start)
        page.close()  # type: ignore[attr-defined]
        again, _, page = first_page(browser, url, context)
        out[RETURNING].append(again["first page: open, sign in, headline drawn"])
        context.close()  # type: ignore[attr-defined]
    return out


def compare(browser, source_home: Path, folder: Path, baseline: Path,
            rounds: int) -> dict[str, dict[str, list[float]]]:
    """First pages served by the baseline checkout and by this one, alternately."""
    out: dict[str, dict[str, list[float]]] = {}
    for r in range(rounds):
        for kind in ("baseline", "current") if r % 2 == 0 else ("current", "baseline"):
            home = folder / f"{kind}-{r}"
            shutil.copytree(source_home, home, ignore=shutil.ignore_patterns("streamlit.log"))
            checkout = baseline if kind == "baseline" else None
            with dashboard_server(home, checkout=checkout) as url:
                for i in range(3):
                    times, context, _ = first_page(browser, url)
                    context.close()  # type: ignore[attr-defined]
                    slot = out.setdefault(f"{kind} {'cold' if i == 0 else 'warm'}", {})
                    for name, value in times.items():
                        slot.setdefault(name, []).append(value)
    return out


def compare_table(found: dict[str, dict[str, list[float]]]) -> str:
    """Medians of each measure, before and after."""
    cols = ["baseline cold", "current cold", "baseline warm", "current warm"]
    lines = ["| measure (median s) | " + " | ".join(cols) + " |",
             "|---|" + "---|" * len(cols)]
    for name in MEASURES[:4]:
        cells = [f"{statistics.median(found[c][name]):.2f}" if c in found else "" for c in cols]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def revision(checkout: Path) -> str:
    """The commit a checkout is at (short hash), or ``unknown``."""
    import subprocess

    done = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


def warm_up_log(log: Path, runs: tuple[float, float] | None = None) -> str:
    """The warm-up's own timings, from the server log; with ``runs`` (start and end,
    epoch seconds), which jobs overlapped the measured runs."""
    found = re.findall(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+) INFO [^\n]*?warm-up: "
                       r"(for_\w+) in ([\d.]+) s", log.read_text(errors="replace"))
    parts = []
    for stamp, job, sec in found:
        end = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()
        overlap = ""
        if runs is not None:
            inside = end - float(sec) < runs[1] and end > runs[0]
            overlap = " (during the runs)" if inside else " (outside the runs)"
        parts.append(f"{job} {sec} s{overlap}")
    return ", ".join(parts) or "not finished"


def table(times: dict[str, list[float]]) -> str:
    """Markdown table of the timings."""
    lines = ["| measure | runs | first (cold) s | median s | max s | target s | met (median) |",
             "|---|---|---|---|---|---|---|"]
    for name, values in times.items():
        med = statistics.median(values)
        target = f"{TARGET:.1f}" if name.startswith("first page") else ""
        met = ("yes" if med < TARGET else "no") if target else ""
        lines.append(f"| {name} | {len(values)} | {values[0]:.2f} | {med:.2f} | "
                     f"{max(values):.2f} | {target} | {met} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None,
                        help="a warehouse with the demo sign-ins (copied, not changed)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--upload-rows", type=int, default=20_000)
    parser.add_argument("--estimate-methods", default="lcmcr,bayes-loglinear",
                        help="MCMC methods an analyst runs while a policymaker reads "
                             "(comma-separated; empty skips)")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="a checkout of an earlier revision to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if chromium_path() is None:
        print("Chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 2
    if args.home is None:
        source_home = (REPO / "var" / "bench-dashboard").resolve()
        ensure_fixture(source_home)
        source = "the test suite's fixture warehouse (tests/dashboards/warehouse_fixture.py)"
    else:
        source_home = args.home.resolve()
        source = f"a copy of the warehouse at `{source_home}`"
    sizes = warehouse_size(source_home)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        home = Path(tmp) / "home"
        shutil.copytree(source_home, home, ignore=shutil.ignore_patterns("streamlit.log"))
        loads = [os.getloadavg()]
        with sync_playwright() as play:
            browser = play.chromium.launch(executable_path=chromium_path(),
                                           args=CHROMIUM_ARGS)
            with dashboard_server(home) as url:
                began = time.time()
                times = measure(browser, url, args.runs)
                span = (began, time.time())
                loads.append(os.getloadavg())
                # The estimate first: the upload adds a quarter, and so a new default period.
                methods = [m for m in args.estimate_methods.split(",") if m]
                fitted = estimate_check(browser, url, methods, first_page) if methods else None
                loads.append(os.getloadavg())
                log = home / "streamlit.log"
                check = (upload_check(browser, url, args.upload_rows, Path(tmp),
                                      lambda: "for_uploads" in warm_up_log(log), first_page)
                         if args.upload_rows else None)
                loads.append(os.getloadavg())
            warm = warm_up_log(home / "streamlit.log", span)
            before = (compare(browser, source_home, Path(tmp), args.baseline.resolve(),
                              args.rounds) if args.baseline else None)
            if before:
                loads.append(os.getloadavg())
            browser.close()
    load = "; ".join(" / ".join(f"{x:.1f}" for x in triple) for triple in loads)
    result = table(times)
    print(result)
    if check:
        print(upload_text(check))
    if fitted:
        print(estimate_text(fitted))
    if before:
        print(compare_table(before))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        "# Dashboard: time to the policymaker's headline\n\n"
        f"Measured {stamp} by `benchmarks/bench_dashboard.py {' '.join(sys.argv[1:])}` "
        f"in headless Chromium (Playwright) against "
        f"`python -m dashboards.serve` (as `darkfigure dashboard`) on {platform.system()} "
        f"with {os.cpu_count()} cores.\n\n"
        f"Warehouse: {source}: " + ", ".join(f"{n:,} {t}" for t, n in sizes.items()) + ". "
        f"Load average (1/5/15 min) before, after the runs, after the estimate, after the "
        f"upload"
        f"{', after the comparison' if before else ''}: {load}; benchmark, server and "
        f"browser at nice {os.nice(0)}.  With the load above the {os.cpu_count()} cores the "
        "times include waiting for a CPU: compare them only with times taken at a similar "
        "load (the before-and-after section below is).\n\n"
        "**First page** = open the app in a new tab (empty browser cache) -> sign-in form "
        "shown -> username and password typed (instantly, by Playwright) -> *Sign in* "
        "pressed -> the headline figure shown and both its charts drawn.  Target: under "
        f"{TARGET:.0f} s.  Its parts: *open to sign-in form*; *sign-in to headline figure* "
        "(the navy box with the estimate); *sign-in to headline drawn* (and both charts). "
        "*menu to headline*: clicking Headline on another page until the same.  The first "
        "run is on a server started a moment before (it answered its health check; the "
        f"warm-up thread was still running).  Warm-up, from the server log: {warm}.\n\n"
        + result + "\n"
        + ("\n## Long work does not block other readers\n\n" if check or fitted else "")
        + (f"{estimate_text(fitted)}\n\n" if fitted else "")
        + (f"{upload_text(check)}\n" if check else "")
        + (f"\n## Before and after, at the same load\n\nBaseline: `{args.baseline}` "
           f"(revision {revision(args.baseline)}) served "
           f"with `streamlit run`; current: `python -m dashboards.serve`.  {args.rounds} "
           "rounds; in each, a fresh server of each (alternating which goes first) serves "
           "three first pages: *cold* is the first, *warm* the other two.\n\n"
           + compare_table(before) + "\n" if before else ""),
        encoding="utf-8",
    )
    print(f"Recorded in {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
