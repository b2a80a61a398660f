"""Pieces every page shares: the signed-in user, navigation, house style.

Kept light (Streamlit only): the sign-in page runs this and nothing heavier, so
a cold server shows the form before pandas, Altair or DuckDB are loaded.
Figures are shown by :mod:`dashboards.show`.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from dashboards import freshness

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

    from darkfigure.auth import User

LOG = logging.getLogger("darkfigure.dashboard")
#: Set to 1 (development, tests) to let a fault reach Streamlit with its traceback.
DEBUG_ENV = "DARKFIGURE_DEBUG"

# Not "pages/": Streamlit would treat a pages/ folder beside app.py as its old
# multipage mode, in which a page script can run without app.py's sign-in check.
PAGES = Path(__file__).resolve().parent / "views"
TOKEN = "darkfigure_token"
CHECKED = "darkfigure_session_checked"
#: Seconds a session check is trusted before the warehouse is asked again.
RECHECK_SECONDS = 30.0
#: ... and, while another process holds the warehouse, how long it is trusted still
#: (a large ``darkfigure submit`` batch takes about a minute per million records).
BUSY_GRACE_SECONDS = 600.0
#: Key of the sign-in page's hidden chart (see views/sign_in.py).
CHART_PRELOAD = "chart_preload"
ROLE_NAMES = {"force": "Submitting organisation", "policymaker": "Policymaker",
              "analyst": "Analyst", "admin": "Administrator"}

CSS = """
<style>
.block-container {padding-top: 2.2rem; max-width: 1200px;}
.df-headline {background: #1d3557; color: #fff; border-radius: 10px; padding: 1.3rem 1.6rem;}
.df-headline .big {font-size: 2.6rem; font-weight: 700; line-height: 1.1;}
.df-headline .sub {font-size: 1.05rem; opacity: .9; margin-top: .35rem;}
.df-card {border: 1px solid #dee2e6; border-radius: 10px; padding: 1rem 1.2rem; height: 100%;}
.df-card .big {font-size: 1.9rem; font-weight: 700; color: #1d3557;}
.df-card .label {color: #6c757d; font-size: .9rem;}
.df-prov {color: #6c757d; font-size: .82rem;}
.st-key-chart_preload {height: 0; overflow: hidden; visibility: hidden;}
</style>
"""


def style() -> None:
    """House style: page width, headline and card blocks."""
    st.markdown(CSS, unsafe_allow_html=True)


def page(name: str, title: str, icon: str, *, default: bool = False) -> st.Page:
    """A page from ``dashboards/views/<name>.py``."""
    return st.Page(str(PAGES / f"{name}.py"), title=title, icon=f":material/{icon}:",
                   url_path=name, default=default)


def pages_for(user: User) -> dict[str, list[st.Page]]:
    """Navigation by role: each role sees only the pages it may use."""
    nav: dict[str, list[st.Page]] = {}
    if user.role == "force":
        nav["Your organisation"] = [page("returns", "Returns", "upload_file", default=True)]
        return nav
    if user.sees_unpublished:
        nav["Analysis"] = [
            page("data_status", "Data status", "fact_check", default=True),
            page("capture", "Capture tables", "grid_on"),
            page("estimate", "Run an estimate", "calculate"),
            page("runs", "Saved runs", "inventory_2"),
            page("returns", "Returns", "upload_file"),
        ]
    nav["Published estimates"] = [
        page("overview", "Headline", "monitoring", default=user.role == "policymaker"),
        page("breakdowns", "Breakdowns", "bar_chart"),
        page("methods", "How sure are we?", "balance"),
    ]
    if user.role == "admin":
        nav["Administration"] = [page("users", "Users", "manage_accounts")]
    return nav


def current_user() -> User | None:
    """The signed-in user of this browser session.

    The session is checked against the warehouse (expiry, sign-out, disabled
    account) at most every :data:`RECHECK_SECONDS`, so that a page does not
    open the warehouse twice on every click; Streamlit's session state lives
    on the server, so the browser cannot forge the cached answer.
    """
    token = st.session_state.get(TOKEN)
    if not token:
        return None
    checked = st.session_state.get(CHECKED)
    if checked and checked[0] == token and time.monotonic() - checked[2] < RECHECK_SECONDS:
        return checked[1]  # type: ignore[no-any-return]
    from darkfigure.errors import UserError
    from darkfigure.warehouse.connection import is_busy
    from dashboards import data as da  # not needed before anyone has signed in

    # While another process writes, a session confirmed a little while ago stands
    # (so there is no need to wait long for the lock).
    recent = bool(checked and checked[0] == token
                  and time.monotonic() - checked[2] < BUSY_GRACE_SECONDS)
    try:
        user = da.session_user(token, wait=da.QUICK_WAIT if recent else None)
    except UserError as err:
        if is_busy(err) and recent:
            return checked[1]  # type: ignore[index, no-any-return]
        raise
    if user is None:
        st.session_state.pop(TOKEN, None)
        st.session_state.pop(CHECKED, None)
        st.session_state["signed_out_reason"] = "Your session has ended: please sign in again."
        return None
    st.session_state[CHECKED] = (token, user, time.monotonic())
    return user


def fault(err: Exception, where: str) -> None:
    """A defect, not a user's mistake: the reader gets a plain message with a reference,
    the server log the traceback under the same reference (never the reader)."""
    if os.environ.get(DEBUG_ENV, "") in ("1", "true", "yes"):
        raise err
    reference = secrets.token_hex(4)
    LOG.error("dashboard fault %s on %s", reference, where, exc_info=err)
    st.error(f"This page could not be shown because of a fault in darkfigure (reference "
             f"{reference}). It has been logged; try again, and tell your administrator "
             "if it happens again.", icon=":material/error:")


def note_if_stale(notice: DeltaGenerator) -> None:
    """Tell the reader, in ``notice``, if the page showed figures read earlier
    because another process was writing to the warehouse."""
    since = freshness.stale_since()
    if since is not None:
        notice.info(f"The warehouse is being updated: these figures were read at "
                    f"{since:%H:%M} UTC and will refresh once the update ends.",
                    icon=":material/sync:")


def signed_in(user: User, token: str) -> None:
    """Remember a session just opened by the sign-in form."""
    st.session_state[TOKEN] = token
    st.session_state[CHECKED] = (token, user, time.monotonic())


def user() -> User:
    """The signed-in user; pages run only after app.py has checked there is one."""
    from darkfigure.auth import User

    found = st.session_state.get("user")
    if not isinstance(found, User):
        st.error("Please sign in.")
        st.stop()
    return found


def sidebar(user: User) -> None:
    """Who is signed in, and the sign-out button."""
    with st.sidebar:
        st.markdown(f"**{user.label}**  \n{ROLE_NAMES[user.role]}"
                    + (f" · {user.org_code}" if user.org_code else ""))
        if st.button("Sign out", icon=":material/logout:", key="sign_out"):
            from dashboards import data as da

            da.sign_out(st.session_state.pop(TOKEN, None))
            st.session_state.pop(CHECKED, None)
            st.session_state.pop("user", None)
            st.rerun()
