"""Accounts (账号) for administrators: create, change, disable, reset passwords; audit log.

In the laptop mode (no accounts yet) anyone at the machine can open it, to create the
first administrator: from then on everyone signs in.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from app_pages._access import storage
from app_pages._common import choice, md, say, signed_in, tr
from gridmap import GridmapError
from gridmap.access import (
    ACTIONS,
    ROLES,
    add_account,
    audit_csv,
    list_accounts,
    read_audit,
    record,
    set_password,
    update_account,
)

VIEWS = ("list", "add", "change", "password", "audit")
#: Title texts of the pages a role may open (by file name, as gridmap.access.PAGES).
PAGE_TITLES = {
    "overview": "page_overview",
    "heatmaps": "page_heatmaps",
    "warnings_report": "page_warnings",
    "coverage": "page_coverage",
    "grids": "page_grids",
    "data": "page_data",
    "accounts": "page_accounts",
}

st.title(tr("page_accounts"))
session = signed_in()
if session is not None and not session.can("manage_accounts"):
    st.error(tr("access_admins_only"))
    st.stop()
accounts_storage = storage()
# An administrator of one area manages and reads that area's accounts and audit rows.
managed = session.scope if session is not None else None
accounts = list_accounts(accounts_storage, within=managed)
if not accounts:
    st.info(tr("access_no_accounts"))


# Words fixed now: format_func also runs after the run, outside the session (AppTest).
ROLE_LABELS = {r: tr(f"access_role_{r}") for r in ROLES}
role_label = ROLE_LABELS.get
VIEW_LABELS = {v: tr(f"access_view_{v}") for v in VIEWS}
ACTION_LABELS = {"": tr("all"), **{a: tr(f"access_action_{a}") for a in ACTIONS}}

view = choice(
    tr("access_view"),
    VIEWS if accounts else ("add",),
    key="access_view",
    format_func=VIEW_LABELS.get,
    widget=st.radio,
    horizontal=True,
)


def done(text: str) -> None:
    st.success(text)


if view == "list":
    st.dataframe(
        pd.DataFrame(
            {
                tr("access_user"): [a.user for a in accounts],
                tr("access_display_name"): [a.display_name for a in accounts],
                tr("access_role"): [role_label(a.role) for a in accounts],
                tr("access_scope"): [a.scope.prefix or tr("all") for a in accounts],
                tr("access_disabled"): [a.disabled for a in accounts],
                tr("access_changed_at"): [a.changed_at for a in accounts],
            }
        ),
        hide_index=True,
    )
    with st.expander(tr("access_rights")):
        st.dataframe(
            pd.DataFrame(
                {
                    tr("access_role"): [role_label(r) for r in ROLES],
                    tr("access_right_pages"): [
                        ", ".join(tr(PAGE_TITLES[p]) for p in PAGE_TITLES if p in ROLES[r].pages)
                        for r in ROLES
                    ],
                    tr("access_right_edit"): [ROLES[r].edit for r in ROLES],
                    tr("access_right_personal"): [ROLES[r].personal_data for r in ROLES],
                    tr("access_right_export"): [ROLES[r].export for r in ROLES],
                    tr("access_right_manage"): [ROLES[r].manage_accounts for r in ROLES],
                }
            ),
            hide_index=True,
        )

elif view == "add":
    roles = list(ROLES) if accounts else ["administrator"]  # someone must manage the rest
    with st.form("access_add_form", clear_on_submit=True):
        user = st.text_input(tr("access_user"), key="access_add_user", max_chars=64)
        name = st.text_input(tr("access_display_name"), key="access_add_name", max_chars=60)
        role = choice(tr("access_role"), roles, key="access_add_role", format_func=role_label)
        scope = st.text_input(
            tr("access_scope"), key="access_add_scope", help=tr("access_scope_help"), max_chars=15
        )
        password = st.text_input(tr("access_password"), type="password", key="access_add_pw")
        again = st.text_input(tr("access_password_again"), type="password", key="access_add_pw2")
        submitted = st.form_submit_button(tr("access_add"), type="primary", key="access_add_submit")
    if submitted:
        if password != again:
            st.error(tr("access_passwords_differ"))
        else:
            try:
                made = add_account(
                    accounts_storage,
                    user,
                    password=password,
                    role=role,
                    scope=scope.strip(),
                    display_name=name,
                    actor=session,
                )
            except GridmapError as exc:
                st.error(say(exc))
            else:
                done(tr("access_added", user=md(made.user)))
                if not accounts:
                    st.info(tr("access_now_sign_in"))

elif view == "change":
    users = [a.user for a in accounts]
    picked = choice(tr("access_user"), users, key="access_change_user")
    account = next(a for a in accounts if a.user == picked)
    with st.form(f"access_change_form_{picked}"):
        name = st.text_input(tr("access_display_name"), value=account.display_name, max_chars=60)
        role = choice(
            tr("access_role"),
            list(ROLES),
            key=f"access_change_role_{picked}",
            default=account.role,
            format_func=role_label,
        )
        scope = st.text_input(
            tr("access_scope"), value=account.scope.prefix, help=tr("access_scope_help")
        )
        disabled = st.checkbox(tr("access_disabled"), value=account.disabled)
        submitted = st.form_submit_button(
            tr("access_save"), type="primary", key="access_change_submit"
        )
    if submitted:
        try:
            update_account(
                accounts_storage,
                picked,
                role=role,
                scope=scope.strip(),
                display_name=name,
                disabled=disabled,
                actor=session,
            )
        except GridmapError as exc:
            st.error(say(exc))
        else:
            done(tr("access_changed", user=md(picked)))

elif view == "password":
    users = [a.user for a in accounts]
    picked = choice(tr("access_user"), users, key="access_password_user")
    with st.form("access_password_form", clear_on_submit=True):
        password = st.text_input(tr("access_password"), type="password", key="access_new_pw")
        again = st.text_input(tr("access_password_again"), type="password", key="access_new_pw2")
        submitted = st.form_submit_button(
            tr("access_reset"), type="primary", key="access_reset_submit"
        )
    if submitted:
        if password != again:
            st.error(tr("access_passwords_differ"))
        else:
            try:
                set_password(accounts_storage, picked, password, actor=session)
            except GridmapError as exc:
                st.error(say(exc))
            else:
                done(tr("access_password_set", user=md(picked)))

else:  # the audit log
    columns = st.columns(4)
    who = columns[0].text_input(tr("access_user"), key="access_audit_user").strip()
    action = choice(
        tr("access_action"),
        ["", *ACTIONS],
        key="access_audit_action",
        format_func=ACTION_LABELS.get,
        widget=columns[1].selectbox,
    )
    since = columns[2].date_input(tr("access_since"), value=None, key="access_audit_since")
    until = columns[3].date_input(tr("access_until"), value=None, key="access_audit_until")
    log = read_audit(
        accounts_storage,
        user=who or None,
        action=action or None,
        since=dt.datetime.combine(since, dt.time.min) if since else None,
        until=dt.datetime.combine(until, dt.time.max) if until else None,
        within=managed,
    )
    st.caption(tr("access_audit_rows", n=len(log)))
    st.dataframe(log.iloc[::-1], hide_index=True)

    def _exported() -> None:
        who_am_i = session.user if session else "laptop"
        record(
            accounts_storage,
            user=who_am_i,
            role=session.role if session else "administrator",
            action="export",
            client=session.client if session else "",
            detail=f"audit log, {len(log)} rows",
        )

    st.download_button(
        tr("access_audit_download"),
        audit_csv(log),
        file_name="gridmap_audit.csv",
        mime="text/csv",
        on_click=_exported,
        key="access_audit_download",
    )
