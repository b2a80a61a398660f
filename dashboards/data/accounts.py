"""Administrators: accounts and lock-outs."""

from __future__ import annotations

import pandas as pd

from darkfigure import auth
from darkfigure.auth import User
from darkfigure.errors import UserError
from darkfigure.warehouse.store import audit
from dashboards.data.access import require
from dashboards.data.warehouse import reading, writing


def users(user: User) -> pd.DataFrame:
    """Every account (no hashes)."""
    require(user, "admin")
    with reading() as con:
        return auth.list_users(con)


def add_user(user: User, username: str, password: str, role: str, *,
             org_code: str | None = None, display_name: str | None = None) -> User:
    """Create an account."""
    require(user, "admin")
    with writing(keeps_reads=True) as con:
        new = auth.create_user(con, username, password, role, org_code=org_code,
                               display_name=display_name)
        audit(con, user.username, "user.add", f"user:{new.username}", {"role": role})
    return new


def unlock_user(user: User, username: str) -> None:
    """Clear a lock-out."""
    require(user, "admin")
    with writing(keeps_reads=True) as con:
        auth.unlock(con, username)
        audit(con, user.username, "user.unlock", f"user:{username}")


def set_user_active(user: User, username: str, active: bool) -> None:
    """Enable or disable an account (not one's own)."""
    require(user, "admin")
    if username == user.username and not active:
        raise UserError("you cannot disable your own account")
    with writing(keeps_reads=True) as con:
        auth.set_active(con, username, active)
        audit(con, user.username, "user.enable" if active else "user.disable", f"user:{username}")
