"""Administrators: accounts, lock-outs."""

import streamlit as st

from darkfigure.auth import ROLES
from dashboards import data as da
from dashboards import ui

user = ui.user()
st.title("Users")
accounts = da.users(user)
st.dataframe(accounts, hide_index=True, width="stretch")

left, right = st.columns(2)
with left, st.form("add_user", clear_on_submit=True):
    st.markdown("**Add a user**")
    name = st.text_input("Username")
    display = st.text_input("Full name")
    role = st.selectbox("Role", ROLES)
    org = st.text_input("Organisation code (submitting organisations only)")
    password = st.text_input("Initial password", type="password")
    if st.form_submit_button("Add", type="primary"):
        new = da.add_user(user, name, password, role, org_code=org.strip().upper() or None,
                          display_name=display or None)
        st.success(f"Added {new.username} ({new.role}).")
        st.rerun()
with right:
    st.markdown("**Unlock or disable**")
    target = st.selectbox("User", accounts["username"].tolist(), key="user_target")
    a, b, c = st.columns(3)
    if a.button("Unlock", key="unlock"):
        da.unlock_user(user, target)
        st.rerun()
    if b.button("Disable", key="disable"):
        da.set_user_active(user, target, False)
        st.rerun()
    if c.button("Enable", key="enable"):
        da.set_user_active(user, target, True)
        st.rerun()
