"""Command-line entry point: ``darkfigure COMMAND``.

Commands live in :mod:`darkfigure.commands`, one module per area; importing a
module adds its commands to :data:`darkfigure.app.app`.  Every error a user can
cause is reported in one plain message with exit code 2 (never a traceback).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click

from darkfigure import commands
from darkfigure.app import app
from darkfigure.errors import UserError
from estimation.capture_table import CaptureTableError


def _load_commands() -> None:
    for module in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{module.name}")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code."""
    _load_commands()
    try:
        result = app(args=argv, standalone_mode=False, prog_name="darkfigure")
    except click.exceptions.Exit as done:
        return int(done.exit_code or 0)
    except click.ClickException as err:
        err.show()
        return err.exit_code
    except click.exceptions.Abort:
        print("Aborted.", file=sys.stderr)
        return 1
    except CaptureTableError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    return int(result) if isinstance(result, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
