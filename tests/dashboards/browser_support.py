"""Run the dashboard in a real Streamlit server and drive it with headless Chromium.

Shared by the browser tests and benchmarks/bench_dashboard.py.  Debian's
``chromium`` is used (``apt-get install chromium``); Playwright's own browser
downloads are never used.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

CHROMIUM = os.environ.get("DARKFIGURE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def chromium_path() -> str | None:
    """The Chromium executable, or ``None`` if it is not installed."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    return shutil.which("chromium")


def free_port() -> int:
    """A free localhost TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def dashboard_server(home: Path, *, timeout: float = 60,
                     checkout: Path | None = None) -> Iterator[str]:
    """Serve the dashboard on a free port against ``home``; yields its URL.

    ``checkout``: serve another checkout of the repository (an earlier
    revision, for a before-and-after benchmark) with plain ``streamlit run``.
    """
    from darkfigure.commands.dashboard import streamlit_command

    port = free_port()
    env = {**os.environ, "DARKFIGURE_HOME": str(home), "DARKFIGURE_DEMO": "1",
           "PYTENSOR_FLAGS": "blas__ldflags=-lblas"}
    command = streamlit_command(port, "127.0.0.1")
    if checkout is not None:
        env["PYTHONPATH"] = str(checkout)  # its packages before the installed ones
        command = [command[0], "-m", "streamlit", "run",
                   str(checkout / "dashboards" / "app.py"), *command[3:]]
    log = (home / "streamlit.log").open("w")
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                            cwd=checkout)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the dashboard did not start; see {home / 'streamlit.log'}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def sign_in(page, url: str, username: str, password: str) -> None:
    """Open the app and sign in through the form."""
    page.goto(url)
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def wait_idle(page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished running the script."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
        timeout=timeout,
    )
    page.wait_for_timeout(400)  # charts draw after the run ends
