"""The pipeline's log file: one JSON line per action, never an identity value.

The audit trail proper is the warehouse's ``audit_log`` table (written in the
same transaction as the change); this file is for operators tailing what
happened, including actions that changed nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from darkfigure.settings import Settings

LOG_NAME = "pipeline.log"


def log_event(settings: Settings, action: str, **fields: Any) -> None:
    """Append one line to ``Settings.log_dir / pipeline.log``.

    Parameters
    ----------
    settings
        The installation.
    action
        What happened (``submit.loaded``, ``link.run``, ...).
    fields
        Counts, codes and ids only: callers never pass names or dates of birth.
    """
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    line = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "action": action, **fields}
    with (settings.log_dir / LOG_NAME).open("a", encoding="utf-8") as out:
        out.write(json.dumps(line, default=str) + "\n")
