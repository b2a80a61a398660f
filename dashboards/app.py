"""darkfigure dashboard: ``darkfigure dashboard`` (``python -m dashboards.serve``, warmed up).

The entry page checks the sign-in, then offers the pages of the user's role.
Access is enforced again in :mod:`dashboards.data` for every read.
"""

from __future__ import annotations

import streamlit as st

from darkfigure.errors import UserError
from dashboards import freshness, ui, warm

warm.page_ran()  # the upload warm-up waits for a quiet moment
freshness.begin_page()
st.set_page_config(page_title="darkfigure", page_icon=":material/query_stats:", layout="wide")
ui.style()
notice = st.empty()  # above the page: filled if its figures were read earlier

try:
    user = ui.current_user()
except UserError as err:
    st.error(str(err))
    st.stop()
except Exception as err:  # a defect: never a traceback at the reader
    ui.fault(err, "the session check")
    st.stop()

if user is None:
    st.session_state.pop("user", None)
    current = st.navigation([ui.page("sign_in", "Sign in", "login")], position="hidden")
else:
    st.session_state["user"] = user
    current = st.navigation(ui.pages_for(user))
    ui.sidebar(user)

try:
    current.run()
except UserError as err:
    st.error(str(err))
except Exception as err:  # a defect: never a traceback at the reader
    ui.fault(err, f"page {current.title!r}")
ui.note_if_stale(notice)
