"""Sign in.

Nothing heavy is imported until the form is submitted: on a cold server the
form appears while the warm-up (:mod:`dashboards.warm`) loads the rest.
"""

import streamlit as st

from darkfigure.errors import UserError
from dashboards import ui

left, middle, right = st.columns([1, 1.3, 1])
with middle:
    st.title("darkfigure")
    st.caption("Estimates of the hidden number of victims of modern slavery in the UK")
    reason = st.session_state.pop("signed_out_reason", None)
    if reason:
        st.info(reason)
    with st.form("sign_in"):
        username = st.text_input("Username", autocomplete="username",
                                 placeholder="your sign-in name")
        password = st.text_input("Password", type="password", autocomplete="current-password",
                                 placeholder="your password")
        submitted = st.form_submit_button("Sign in", type="primary", width="stretch")
    if submitted:
        from dashboards import data as da

        try:
            user, token = da.sign_in(username, password)
        except UserError as err:  # a refused sign-in (AuthError) or a missing warehouse
            st.error(str(err))
        else:
            ui.signed_in(user, token)
            st.rerun()
    st.caption("Accounts are created by an administrator (`darkfigure users add`). "
               "After 5 wrong passwords an account is locked for 15 minutes.")

# An invisible one-point chart, so that the browser fetches and compiles the chart
# library (~0.8 MB of JavaScript) while the reader types, not after the headline
# arrives.  Hidden by ui.CSS; last on the page, so the form is sent first.
with st.container(key=ui.CHART_PRELOAD):
    st.vega_lite_chart({"data": {"values": [{"x": 0}]}, "mark": "point",
                        "encoding": {"x": {"field": "x", "type": "quantitative"}}},
                       height=10)
