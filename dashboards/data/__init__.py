"""The dashboard's only door to the warehouse: cached reads, brief writes, access rules.

Every public function takes the signed-in :class:`~darkfigure.auth.User` and
refuses (:class:`AccessDenied`) or filters by role (:mod:`.access`), so a page
cannot show what its reader may not see even if it asks.  One job per module:

- :mod:`.warehouse`: where the warehouse is, brief connections, the read cache;
- :mod:`.access`: role checks and disclosure control;
- :mod:`.sessions`: sign-in, session checks, sign-out;
- :mod:`.published`: headline, trend, breakdowns, methods, runs;
- :mod:`.returns`: organisations, submissions, reports, templates, uploads;
- :mod:`.analysis`: periods, capture tables, saving and publishing runs;
- :mod:`.accounts`: user administration.

Pages import this package (``from dashboards import data as da``), not its modules.
"""

from dashboards.data.access import (
    THRESHOLD_ENV,
    AccessDenied,
    disclosure_threshold,
)
from dashboards.data.accounts import add_user, set_user_active, unlock_user, users
from dashboards.data.analysis import capture_tables, periods, publish_run, save_run
from dashboards.data.published import (
    breakdown,
    headline,
    method_comparison,
    prefetch,
    run_detail,
    runs,
    trend,
)
from dashboards.data.returns import (
    data_status,
    organisations,
    submission_report,
    submissions,
    template,
    upload_return,
)
from dashboards.data.sessions import session_user, sign_in, sign_out
from dashboards.data.warehouse import CACHE_TTL, QUICK_WAIT, clear_caches, warehouse_path

__all__ = [
    "CACHE_TTL",
    "QUICK_WAIT",
    "THRESHOLD_ENV",
    "AccessDenied",
    "add_user",
    "breakdown",
    "capture_tables",
    "clear_caches",
    "data_status",
    "disclosure_threshold",
    "headline",
    "method_comparison",
    "organisations",
    "periods",
    "prefetch",
    "publish_run",
    "run_detail",
    "runs",
    "save_run",
    "session_user",
    "set_user_active",
    "sign_in",
    "sign_out",
    "submission_report",
    "submissions",
    "template",
    "trend",
    "unlock_user",
    "upload_return",
    "users",
    "warehouse_path",
]
