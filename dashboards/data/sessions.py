"""Sign-in, session checks and sign-out (brief writes that never change a cached figure)."""

from __future__ import annotations

from darkfigure import auth
from darkfigure.auth import User
from darkfigure.errors import UserError
from darkfigure.warehouse.connection import is_busy
from darkfigure.warehouse.store import audit
from dashboards.data.warehouse import reading, writing


def sign_in(username: str, password: str) -> tuple[User, str]:
    """Check a password and open a session; returns the user and the session token."""
    # Not one transaction: a refused sign-in must still record its failure.
    with writing(atomic=False, keeps_reads=True) as con:
        user, token = auth.sign_in(con, username, password)
        audit(con, user.username, "session.start", None, {"role": user.role})
    return user, token


def session_user(token: str | None, *, wait: float | None = None) -> User | None:
    """The user of a session token, or ``None`` if it has ended or expired.

    ``wait``: seconds to wait for a warehouse locked by another process (default:
    the lock timeout) before the busy error.
    """
    if not token:
        return None
    with reading(timeout=wait) as con:
        user, needs_touch = auth.session_user(con, token)
    if user is not None and needs_touch:
        try:
            with writing(keeps_reads=True) as con:
                auth.touch_session(con, token)
        except UserError as err:  # another process is writing: touch it next time
            if not is_busy(err):
                raise
    return user


def sign_out(token: str | None) -> None:
    """End a session."""
    if token:
        with writing(keeps_reads=True) as con:
            auth.end_session(con, token)
