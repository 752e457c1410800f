"""Sign in (登录): an account's name and password, when the workspace has accounts."""

from __future__ import annotations

import streamlit as st

from app_pages._access import error, try_sign_in
from app_pages._common import signed_in, tr

st.title(tr("page_sign_in"))
if signed_in() is not None:
    st.rerun()
if "access_user" not in st.session_state:  # the name last submitted, after a sign-out
    st.session_state["access_user"] = st.session_state.get("access_typed_user", "")
with st.form("access_sign_in_form"):
    # One key in both languages, as the password's: a keyed text input keeps its id (and
    # what was typed, submitted or not) when its label changes language.
    user = st.text_input(tr("access_user"), key="access_user", max_chars=64)
    password = st.text_input(
        tr("access_password"), key="access_password", type="password", max_chars=1024
    )
    submitted = st.form_submit_button(
        tr("access_sign_in"), type="primary", key="access_sign_in_submit"
    )
if submitted:
    st.session_state["access_typed_user"] = user
    try_sign_in(user, password)
    if signed_in() is not None:
        st.rerun()
message = error()
if message:
    st.error(message)
st.caption(tr("access_sign_in_help"))
