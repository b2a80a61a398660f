"""Whether a page showed current figures or earlier ones (no heavy imports: the
sign-in page's script run uses it too).

The data layer (:func:`dashboards.data.warehouse.cached`) serves an earlier
answer when another process holds the warehouse, and notes when that answer was
read; the app resets the note at the start of each script run and, after the
page is drawn, tells the reader how old the figures are.  Streamlit runs each
browser session's script in its own thread, so the note is per thread.
"""

from __future__ import annotations

import threading
from datetime import datetime

_local = threading.local()


def begin_page() -> None:
    """Start a page's script run: nothing earlier served yet."""
    _local.since = None


def served_earlier(read_at: datetime) -> None:
    """Note that an answer read at ``read_at`` stood in for a current one."""
    oldest = getattr(_local, "since", None)
    _local.since = read_at if oldest is None else min(oldest, read_at)


def stale_since() -> datetime | None:
    """When the oldest earlier answer served since :func:`begin_page` was read, or
    None if every figure on the page was current."""
    return getattr(_local, "since", None)
