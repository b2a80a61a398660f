"""Dashboard accounts: argon2 passwords, expiring sessions, lock-out, roles.

Accounts live in the warehouse (``users`` and ``sessions``, migration
``002_auth.sql``).  A password is stored only as an argon2id hash; a session
token only as its SHA-256 digest.  After :data:`MAX_FAILURES` wrong passwords
in a row an account is locked for :data:`LOCKOUT`; a session ends after
:data:`IDLE_TIMEOUT` without use or :data:`MAX_SESSION` after sign-in.

Every function takes an open DuckDB connection (read-write for those that
change state) so that the caller decides how long it holds the warehouse.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from darkfigure.errors import UserError

#: Roles, from least to most access to unpublished data.
ROLES = ("force", "policymaker", "analyst", "admin")
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
IDLE_TIMEOUT = timedelta(hours=8)
MAX_SESSION = timedelta(hours=24)
#: Only refresh a session's last-seen time this often (each refresh is a write).
TOUCH_EVERY = timedelta(minutes=5)
MIN_PASSWORD_LENGTH = 10

#: Argon2id at the OWASP Password Storage Cheat Sheet's first recommended setting
#: (19 MiB, 2 iterations, 1 lane): strong against guessing, yet quick enough that
#: a sign-in on a busy two-core server stays well under a second.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


@functools.cache
def _dummy_hash() -> str:
    """Verified when the username is unknown, so that a wrong name costs as long as a
    wrong password and response times do not reveal which accounts exist."""
    return _HASHER.hash("not a real password, only for constant time")


class AuthError(UserError):
    """Sign-in refused, an account rule broken, or access to data denied."""


@dataclass(frozen=True)
class User:
    """A signed-in person.

    Attributes
    ----------
    username
        Sign-in name.
    role
        One of :data:`ROLES`.
    org_code
        Organisation a ``force`` user submits for (``None`` for other roles
        unless set).
    display_name
        Name shown in the dashboard.
    """

    username: str
    role: str
    org_code: str | None = None
    display_name: str = ""

    @property
    def label(self) -> str:
        """How the dashboard names the user."""
        return self.display_name or self.username

    @property
    def sees_unpublished(self) -> bool:
        """Analysts and admins read runs and records before publication."""
        return self.role in ("analyst", "admin")


def utcnow() -> datetime:
    """Naive UTC now, as stored in DuckDB ``TIMESTAMP`` columns."""
    return datetime.now(UTC).replace(tzinfo=None)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_password_rules(password: str) -> None:
    """Refuse a password that is too weak to protect victims' data.

    Raises
    ------
    AuthError
        Saying what rule the password breaks.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters; "
            "a phrase of several words is easiest to remember"
        )
    if password.strip() != password:
        raise AuthError("the password must not start or end with spaces")


def create_user(
    con: duckdb.DuckDBPyConnection,
    username: str,
    password: str,
    role: str,
    *,
    org_code: str | None = None,
    display_name: str | None = None,
) -> User:
    """Add an account.

    Parameters
    ----------
    con
        Read-write warehouse connection.
    username
        Sign-in name (letters, digits, ``.``, ``_``, ``-``, ``@``).
    password
        Plain password; only its argon2id hash is stored.
    role
        One of :data:`ROLES`.
    org_code
        Organisation code; required for ``force`` users.
    display_name
        Name shown in the dashboard (default: the username).

    Returns
    -------
    User
        The new account.

    Raises
    ------
    AuthError
        Bad role, missing organisation, weak password or a taken username.
    """
    name = username.strip()
    if not name or not all(c.isalnum() or c in "._-@" for c in name):
        raise AuthError(
            f"username '{username}' may contain only letters, digits and . _ - @"
        )
    if role not in ROLES:
        raise AuthError(f"role '{role}' is not one of {', '.join(ROLES)}")
    if role == "force" and not org_code:
        raise AuthError("a force user needs --org, the code of the organisation it submits for")
    check_password_rules(password)
    taken = con.execute("SELECT 1 FROM users WHERE username = ?", [name]).fetchone()
    if taken:
        raise AuthError(f"there is already a user called '{name}'")
    con.execute(
        "INSERT INTO users (username, display_name, role, org_code, password_hash, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [name, display_name or name, role, org_code, _HASHER.hash(password), utcnow()],
    )
    return User(name, role, org_code, display_name or name)


def authenticate(
    con: duckdb.DuckDBPyConnection, username: str, password: str, *, now: datetime | None = None
) -> User:
    """Check a password, counting failures and locking the account after too many.

    Parameters
    ----------
    con
        Read-write warehouse connection (failures are recorded).
    username, password
        What the person typed.
    now
        Current UTC time (tests pass a clock).

    Returns
    -------
    User
        The account, on success.

    Raises
    ------
    AuthError
        Wrong name or password (one message for both), or a locked or
        disabled account.
    """
    now = now or utcnow()
    row = con.execute(
        "SELECT username, role, org_code, display_name, password_hash, failed_attempts,"
        " locked_until, active FROM users WHERE username = ?",
        [username.strip()],
    ).fetchone()
    wrong = AuthError("the username or password is not right")
    if row is None:
        _verify(_dummy_hash(), password)
        raise wrong
    name, role, org, display, stored, failures, locked_until, active = row
    if locked_until is not None and locked_until > now:
        minutes = max(1, int((locked_until - now).total_seconds() // 60) + 1)
        raise AuthError(
            f"this account is locked after {MAX_FAILURES} wrong passwords; try again in "
            f"{minutes} minute(s) or ask an administrator to unlock it"
        )
    if locked_until is not None:  # the lock has run out: a fresh start
        failures = 0
    if not _verify(stored, password):
        failures += 1
        lock = now + LOCKOUT if failures >= MAX_FAILURES else None
        con.execute(
            "UPDATE users SET failed_attempts = ?, locked_until = ? WHERE username = ?",
            [0 if lock else failures, lock, name],
        )
        if lock:
            raise AuthError(
                f"too many wrong passwords: the account is locked for "
                f"{int(LOCKOUT.total_seconds() // 60)} minutes"
            )
        raise wrong
    if not active:
        raise AuthError("this account is disabled; ask an administrator")
    new_hash = _HASHER.hash(password) if _HASHER.check_needs_rehash(stored) else stored
    con.execute(
        "UPDATE users SET failed_attempts = 0, locked_until = NULL, last_sign_in = ?,"
        " password_hash = ? WHERE username = ?",
        [now, new_hash, name],
    )
    return User(name, role, org, display or name)


def _verify(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def start_session(
    con: duckdb.DuckDBPyConnection, user: User, *, now: datetime | None = None
) -> str:
    """Open a session for a signed-in user and return its secret token."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    con.execute(
        "INSERT INTO sessions (token_sha256, username, created_at, last_seen) VALUES (?, ?, ?, ?)",
        [_digest(token), user.username, now, now],
    )
    return token


def sign_in(
    con: duckdb.DuckDBPyConnection, username: str, password: str, *, now: datetime | None = None
) -> tuple[User, str]:
    """:func:`authenticate` then :func:`start_session`: the user and the session token."""
    user = authenticate(con, username, password, now=now)
    return user, start_session(con, user, now=now)


def session_user(
    con: duckdb.DuckDBPyConnection, token: str | None, *, now: datetime | None = None
) -> tuple[User | None, bool]:
    """The user a session token belongs to, if the session is still valid.

    A session is valid while it has not been ended, was used within
    :data:`IDLE_TIMEOUT`, began within :data:`MAX_SESSION`, and its account is
    active.  A lock-out stops new sign-ins only, so that someone guessing a
    password cannot sign the account's owner out.

    Parameters
    ----------
    con
        Warehouse connection (read-only is enough).
    token
        Token from :func:`start_session`.
    now
        Current UTC time.

    Returns
    -------
    tuple
        ``(user or None, needs_touch)``: ``needs_touch`` says the last-seen
        time is old enough to be refreshed with :func:`touch_session`.
    """
    if not token:
        return None, False
    now = now or utcnow()
    row = con.execute(
        "SELECT u.username, u.role, u.org_code, u.display_name, s.created_at, s.last_seen"
        " FROM sessions s JOIN users u USING (username)"
        " WHERE s.token_sha256 = ? AND s.ended_at IS NULL AND u.active",
        [_digest(token)],
    ).fetchone()
    if row is None:
        return None, False
    name, role, org, display, created, last_seen = row
    if now - last_seen > IDLE_TIMEOUT or now - created > MAX_SESSION:
        return None, False
    return User(name, role, org, display or name), now - last_seen > TOUCH_EVERY


def touch_session(
    con: duckdb.DuckDBPyConnection, token: str, *, now: datetime | None = None
) -> None:
    """Record that a session was used now (keeps it from idling out)."""
    con.execute(
        "UPDATE sessions SET last_seen = ? WHERE token_sha256 = ? AND ended_at IS NULL",
        [now or utcnow(), _digest(token)],
    )


def end_session(
    con: duckdb.DuckDBPyConnection, token: str, *, now: datetime | None = None
) -> None:
    """Sign out: the token no longer opens a session."""
    con.execute(
        "UPDATE sessions SET ended_at = ? WHERE token_sha256 = ? AND ended_at IS NULL",
        [now or utcnow(), _digest(token)],
    )


def _require_user(con: duckdb.DuckDBPyConnection, username: str) -> None:
    if con.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone() is None:
        raise AuthError(f"there is no user called '{username}'; see `darkfigure users list`")


def unlock(con: duckdb.DuckDBPyConnection, username: str) -> None:
    """Clear an account's lock and failure count."""
    _require_user(con, username)
    con.execute(
        "UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE username = ?", [username]
    )


def set_password(con: duckdb.DuckDBPyConnection, username: str, password: str) -> None:
    """Replace a password; every open session of the account ends."""
    _require_user(con, username)
    check_password_rules(password)
    con.execute(
        "UPDATE users SET password_hash = ?, failed_attempts = 0, locked_until = NULL"
        " WHERE username = ?",
        [_HASHER.hash(password), username],
    )
    _end_all(con, username)


def set_active(con: duckdb.DuckDBPyConnection, username: str, active: bool) -> None:
    """Enable or disable an account; disabling ends its sessions."""
    _require_user(con, username)
    con.execute("UPDATE users SET active = ? WHERE username = ?", [active, username])
    if not active:
        _end_all(con, username)


def _end_all(con: duckdb.DuckDBPyConnection, username: str) -> None:
    con.execute(
        "UPDATE sessions SET ended_at = ? WHERE username = ? AND ended_at IS NULL",
        [utcnow(), username],
    )


def list_users(con: duckdb.DuckDBPyConnection, *, now: datetime | None = None) -> pd.DataFrame:
    """Accounts without their hashes: name, role, organisation, status, last sign-in."""
    frame = con.execute(
        "SELECT username, display_name, role, org_code, active, failed_attempts, locked_until,"
        " last_sign_in, created_at FROM users ORDER BY role, username"
    ).df()
    now = now or utcnow()
    locked = frame["locked_until"].notna() & (frame["locked_until"] > pd.Timestamp(now))
    frame["status"] = "active"
    frame.loc[locked, "status"] = "locked"
    frame.loc[~frame["active"].astype(bool), "status"] = "disabled"
    return frame.drop(columns=["active", "locked_until"])
