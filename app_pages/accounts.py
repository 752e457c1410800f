"""Accounts (账号) for administrators: create, change, disable, reset passwords; audit log.

In the laptop mode (no accounts yet) anyone at the machine can open it, to create the
first administrator: from then on everyone signs in.
"""

from __future__ import annotations

import ast
import datetime as dt
import re

import pandas as pd
import streamlit as st

from app_pages._access import navigation_titles, storage
from app_pages._common import choice, md, say, signed_in, tr
from gridmap import GridmapError
from gridmap.access import (
    ACTIONS,
    ROLES,
    add_account,
    list_accounts,
    read_audit,
    record,
    set_password,
    update_account,
)
from gridmap.i18n import TEXT
from gridmap.io import csv_bytes

VIEWS = ("list", "add", "change", "password", "audit")

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


def audit_headers(columns: pd.Index) -> dict[str, str]:
    """Headers of the audit table in the page's language (on screen and in the CSV)."""
    return {
        c: tr(f"access_audit_col_{c}") if f"access_audit_col_{c}" in TEXT else c for c in columns
    }


#: Labels of the fields an account change names in its detail.
FIELD_LABELS = {
    "role": tr("access_role"),
    "scope": tr("access_scope"),
    "display_name": tr("access_display_name"),
    "disabled": tr("access_disabled"),
}
_CHANGE_DETAIL = re.compile(r"^(?P<user>\S+) (?P<fields>\{.*\})$", re.DOTALL)


def readable_detail(detail: object, action: object = "") -> str:
    """An audit row's detail for people: an account change's fields as ``name: value``.

    The log keeps ``zhao {'role': 'viewer', 'scope': '990101001003'}`` (a Python dict);
    shown, it reads ``zhao · 角色: 网格员（只读）, 范围: 990101001003``; a new account's
    ``zhao planner`` reads ``zhao · 规划人员``. Other details as stored, a blank as empty.
    """
    if detail is None or (isinstance(detail, float) and pd.isna(detail)):
        return ""
    text = str(detail)
    made, _, role = text.partition(" ")
    if action == "account_add" and role in ROLES:
        return f"{made} · {role_label(role)}"
    found = _CHANGE_DETAIL.match(text)
    if found is None:
        return text
    try:
        fields = ast.literal_eval(found["fields"])
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text
    if not isinstance(fields, dict):
        return text
    parts = []
    for field, value in fields.items():
        if field == "role":
            value = role_label(str(value)) or value
        elif field == "scope":
            value = value or tr("all")
        elif field == "disabled":
            value = tr("access_yes") if value else tr("access_no")
        parts.append(f"{FIELD_LABELS.get(field, field)}: {value}")
    return f"{found['user']} · {', '.join(parts)}"


def shown_audit(log: pd.DataFrame) -> pd.DataFrame:
    """The audit rows as the page shows them: headers in its language, roles and actions
    as their labels, blanks empty, details readable."""
    shown = log.astype(object).where(log.notna(), "")
    shown["at"] = log["at"]  # a time column, as Streamlit shows it
    shown["role"] = [role_label(r, r) for r in shown["role"]]
    shown["action"] = [ACTION_LABELS.get(a, a) if a else "" for a in shown["action"]]
    pairs = zip(log["detail"], log["action"], strict=True)
    shown["detail"] = [readable_detail(detail, action) for detail, action in pairs]
    return shown.rename(columns=audit_headers(log.columns))


def audit_download(log: pd.DataFrame) -> bytes:
    """The audit rows as CSV: values as stored (keys for machines), headers in the page's
    language."""
    frame = log.copy()
    frame["at"] = frame["at"].dt.strftime("%Y-%m-%d %H:%M:%S%z")
    return csv_bytes(frame.rename(columns=audit_headers(log.columns)))


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
                        ", ".join(navigation_titles(ROLES[r])) for r in ROLES
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
    # The role is chosen outside the form: a choice inside it reached the server only on
    # submit, so a language switch before that mounted a new widget on the old role
    # (administrator, the first option), silently. Outside, each pick is kept at once.
    role = choice(tr("access_role"), roles, key="access_add_role", format_func=role_label)
    with st.form("access_add_form", clear_on_submit=True):
        user = st.text_input(tr("access_user"), key="access_add_user", max_chars=64)
        name = st.text_input(tr("access_display_name"), key="access_add_name", max_chars=60)
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
    # Edits outlive a language switch before saving: the role is picked outside the form
    # (as on Add account), the fields have keys (a keyed widget keeps its id, and so its
    # value, when its label changes language).
    role = choice(
        tr("access_role"),
        list(ROLES),
        key=f"access_change_role_{picked}",
        default=account.role,
        format_func=role_label,
    )
    with st.form(f"access_change_form_{picked}"):
        name = st.text_input(
            tr("access_display_name"),
            value=account.display_name,
            key=f"access_change_name_{picked}",
            max_chars=60,
        )
        scope = st.text_input(
            tr("access_scope"),
            value=account.scope.prefix,
            key=f"access_change_scope_{picked}",
            help=tr("access_scope_help"),
        )
        disabled = st.checkbox(
            tr("access_disabled"), value=account.disabled, key=f"access_change_disabled_{picked}"
        )
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
        action=action or None,
        since=dt.datetime.combine(since, dt.time.min) if since else None,
        until=dt.datetime.combine(until, dt.time.max) if until else None,
        within=managed,
    )
    if who:  # a part of the name, in any case
        log = log[log["user"].fillna("").astype(str).str.contains(who, case=False, regex=False)]
    st.caption(tr("access_audit_rows", n=len(log)))
    st.dataframe(shown_audit(log.iloc[::-1]), hide_index=True)

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
        audit_download(log),
        file_name="gridmap_audit.csv",
        mime="text/csv",
        on_click=_exported,
        key="access_audit_download",
    )
