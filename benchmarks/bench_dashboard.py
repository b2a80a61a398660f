"""How fast a policymaker sees the headline, measured in a real browser.

Serves the dashboard with ``streamlit run`` against a warehouse, drives
Debian's headless Chromium with Playwright, and times:

- open to sign-in form, sign-in to headline, and the two together: from
  opening the address, through the sign-in form, until the headline figure and
  the trend chart are drawn (the first page a policymaker sees);
- menu to headline: clicking *Headline* from another page until the same.

The first of each is on a freshly started server (nothing cached); target
under 2 s.  Prints a table and writes ``benchmarks/results/dashboard.md``.

    .venv/bin/python benchmarks/bench_dashboard.py [--home DIR] [--runs 5]

``--home`` uses an existing warehouse that has the demo sign-ins (e.g. one
built by ``darkfigure demo --size full``).  Without it the test suite's fixture
warehouse is built under ``var/bench-dashboard``: two years of returns from
eight organisations (about 5,400 records, 64 submissions) and published runs with
four methods, which is what the headline page reads.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "dashboards"))

from browser_support import (  # noqa: E402
    CHROMIUM_ARGS,
    chromium_path,
    dashboard_server,
    wait_idle,
)

RESULTS = REPO / "benchmarks" / "results" / "dashboard.md"
TARGET = 2.0
USER, PASSWORD = "policymaker", "policymaker-demo"
DRAWN = (
    "() => document.querySelector('.df-headline') !== null && "
    "document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] canvas, "
    "[data-testid=\"stVegaLiteChart\"] svg').length >= 2"
)


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


def measure(url: str, runs: int) -> dict[str, list[float]]:
    """Seconds to a drawn headline, per measure, over ``runs`` browser sessions."""
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {
        "open to sign-in form": [], "sign-in to headline": [],
        "open and sign in to headline": [], "menu to headline": [],
    }
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            page = context.new_page()
            start = time.perf_counter()
            page.goto(url)
            page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
            form = time.perf_counter()
            page.get_by_role("textbox", name="Username").fill(USER)
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            clicked = time.perf_counter()
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_function(DRAWN, timeout=60_000)
            end = time.perf_counter()
            out["open to sign-in form"].append(form - start)
            out["sign-in to headline"].append(end - clicked)
            out["open and sign in to headline"].append(end - start)
            wait_idle(page)
            page.get_by_role("link", name="Breakdowns").click()
            page.get_by_text("Break down by").wait_for(timeout=60_000)
            wait_idle(page)
            start = time.perf_counter()
            page.get_by_role("link", name="Headline").click()
            page.wait_for_function(DRAWN, timeout=60_000)
            out["menu to headline"].append(time.perf_counter() - start)
            context.close()
        browser.close()
    return out


def table(times: dict[str, list[float]]) -> str:
    """Markdown table of the timings."""
    lines = ["| measure | runs | first (cold) s | median s | max s | target s | met |",
             "|---|---|---|---|---|---|---|"]
    for name, values in times.items():
        med = statistics.median(values)
        met = "yes" if max(values) < TARGET else "no"
        lines.append(f"| {name} | {len(values)} | {values[0]:.2f} | {med:.2f} | "
                     f"{max(values):.2f} | {TARGET:.1f} | {met} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None,
                        help="an existing warehouse with the demo sign-ins (not rebuilt)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if chromium_path() is None:
        print("Chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 2
    if args.home is None:
        home = (REPO / "var" / "bench-dashboard").resolve()
        ensure_fixture(home)
        source = "the test suite's fixture warehouse (tests/dashboards/warehouse_fixture.py)"
    else:
        home = args.home.resolve()
        source = f"the warehouse at `{home}`"
    sizes = warehouse_size(home)
    with dashboard_server(home) as url:
        times = measure(url, args.runs)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    result = table(times)
    print(result)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        "# Dashboard: time to the policymaker's headline\n\n"
        f"Measured {stamp} by `benchmarks/bench_dashboard.py --runs {args.runs}` in headless "
        f"Chromium (Playwright) against `streamlit run dashboards/app.py` on "
        f"{platform.system()} with {os.cpu_count()} cores.\n\n"
        f"Warehouse: {source}: "
        + ", ".join(f"{n:,} {t}" for t, n in sizes.items()) + ". "
        f"Load average while measuring: {load}.\n\n"
        "*open to sign-in form*: loading the app in a new tab until the form is shown. "
        "*sign-in to headline*: from pressing Sign in until the headline figure and the trend "
        "chart are drawn. *open and sign in to headline*: the two together (typing included). "
        "*menu to headline*: from clicking Headline on another page until the same. "
        "The first run is on a freshly started server with nothing cached.\n\n"
        + result + "\n",
        encoding="utf-8",
    )
    print(f"Recorded in {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
