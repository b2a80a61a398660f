"""Command-line entry point: ``darkfigure COMMAND``.

Commands live in :mod:`darkfigure.commands`, one module per area; importing a
module adds its commands to :data:`darkfigure.app.app`.  Every error a user can
cause is reported in one plain message with exit code 2; an unexpected error
is logged with its traceback to a file and reported in one line (exit 1).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

from darkfigure import commands
from darkfigure.app import app
from darkfigure.errors import UserError
from estimation.capture_table import CaptureTableError


def _load_commands() -> None:
    for module in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{module.name}")


def _log_crash() -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = Path(tempfile.gettempdir()) / f"darkfigure-error-{stamp}.log"
    path.write_text(traceback.format_exc(), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code."""
    _load_commands()
    try:
        # standalone_mode lets typer report usage errors itself (exit 2).
        app(args=argv, prog_name="darkfigure")
    except SystemExit as done:
        code = done.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except CaptureTableError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - last resort: no traceback at a user
        log = _log_crash()
        print(
            f"error: unexpected {type(err).__name__}: {err}\n"
            f"This is a fault in darkfigure, not in your input; details are in {log}",
            file=sys.stderr,
        )
        return 1
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
