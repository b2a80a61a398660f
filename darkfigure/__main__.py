"""``python -m darkfigure``."""

from darkfigure.cli import run

run()
