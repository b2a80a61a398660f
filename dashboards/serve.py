"""Serve the dashboard: start the warm-up, then run ``streamlit run dashboards/app.py`` here.

    python -m dashboards.serve [streamlit options, e.g. --server.port 8501]

Streamlit runs the app's scripts in threads of this process, so the modules and
cached reads that :mod:`dashboards.warm` loads in the background are the ones
the first readers use.  ``darkfigure dashboard`` starts the server this way.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from dashboards import warm

APP = Path(__file__).resolve().parent / "app.py"


def main(options: Sequence[str] | None = None) -> None:
    """Start the warm-up thread, then Streamlit's server (returns when it stops)."""
    logging.getLogger("darkfigure.dashboard").setLevel(logging.INFO)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Streamlit first, then the warm-up thread: importing one of its submodules in that
    # thread while this one is still importing the package deadlocks Python's per-module
    # import locks, and one side gets a half-initialised module (an ImportError that
    # took `make run` down on a fresh machine, where imports are slow).
    from streamlit.web import cli

    warm.start()

    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if options is None else options)]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
