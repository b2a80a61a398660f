"""Who may read what: role checks and disclosure control, applied before data leave the layer.

- ``force``: its own organisation's submissions and validation reports only;
- ``policymaker``: published runs only, and counts below the disclosure
  threshold withheld (:mod:`darkfigure.disclosure`); never capture tables;
- ``analyst`` and ``admin``: everything; ``admin`` also manages accounts.
"""

from __future__ import annotations

import os

import pandas as pd

from darkfigure.auth import AuthError, User
from darkfigure.disclosure import DEFAULT_THRESHOLD, suppress_frame

#: Environment variable overriding the disclosure threshold.
THRESHOLD_ENV = "DARKFIGURE_DISCLOSURE_THRESHOLD"


class AccessDenied(AuthError):
    """The signed-in user's role may not read or do this."""


def require(user: User | None, *roles: str) -> User:
    """The user, if signed in with one of ``roles``.

    Raises
    ------
    AccessDenied
        Nobody signed in, or another role.
    """
    if user is None:
        raise AccessDenied("please sign in")
    if user.role not in roles:
        raise AccessDenied(f"a {user.role} account cannot see this page's data")
    return user


def own_org(user: User, org_code: str | None) -> str | None:
    """The organisation a request may cover: a force's own; ``None`` (all) for analysts."""
    if user.role == "force":
        return user.org_code
    return org_code


def disclosure_threshold() -> int:
    """Counts below this are withheld from policymakers."""
    value = os.environ.get(THRESHOLD_ENV, "")
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_THRESHOLD


def withheld(user: User, rows: pd.DataFrame, within: list[str] | None = None) -> pd.DataFrame:
    """Disclosure control for policymakers: small counts (and what reveals them) withheld.

    Without ``within`` the rows are one breakdown published with its total;
    with it, each group (a period, a method) is a figure of its own.  Other
    roles get the rows unchanged, with ``suppressed`` False.
    """
    if user.role != "policymaker":
        return rows.assign(suppressed=False)
    return suppress_frame(rows, "observed", within=within or (),
                          dependent=["estimate", "lower", "upper"],
                          threshold=disclosure_threshold()).drop(columns=["group_total"])
