"""The Accounts and sign-in pages keep what was typed or chosen across a language switch,
show the audit log in the page's language, and list each role's pages as its navigation.

A browser sends a form's widgets only on submit: typing or picking inside a form does not
run the script, and the browser keeps what was typed in each widget (by its id) until
then, across reruns; picking outside a form runs the script at once. AppTest drops a
form's values that were not submitted, so :class:`Browser` keeps them as a browser does.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from gridmap.access import (
    ROLES,
    Scope,
    access_storage,
    add_account,
    list_accounts,
    sign_in,
    update_account,
)
from gridmap.access._storage import AUDIT_TABLE, COLUMNS
from gridmap.i18n import t
from gridmap.store import GeoPackageStore
from tests.test_access_pages import office, start  # noqa: F401 - office: fixture
from tests.test_app import ROOT, home  # noqa: F401 - home is a fixture
from tests.test_app_languages import BrowserMemory, browser, switch_language  # noqa: F401

#: The audit table's columns, as stored.
AUDIT_COLUMNS = COLUMNS[AUDIT_TABLE]


class Browser:
    """What a browser keeps of forms between runs: the value given to each widget id."""

    def __init__(self, app: AppTest) -> None:
        self.app = app
        self.pending: dict[str, object] = {}

    def choose(self, widget, value: object) -> None:  # type: ignore[no-untyped-def]
        """Type or pick `value`: outside a form this runs the script, inside it waits."""
        widget.set_value(value)
        if widget.form_id:
            self.pending[widget.id] = value
        else:
            self.app.run()
            assert not self.app.exception, [e.value for e in self.app.exception]

    def switch_language(self, to: str) -> None:
        """The sidebar's language radio; a widget keeping its id shows what it was given."""
        switch_language(self.app, to)
        for widget in [*self.app.main.text_input, *self.app.main.selectbox]:
            if widget.id in self.pending:
                widget.set_value(self.pending[widget.id])


def role_widget(app: AppTest, key: str):  # type: ignore[no-untyped-def]
    return next(s for s in app.main.selectbox if (s.key or "").rsplit(".", 1)[0] == key)


def field(app: AppTest, label: str):  # type: ignore[no-untyped-def]
    """The main area's text input labelled `label` (a text key) in the page's language."""
    shown = t(label, app.session_state["lang"])
    return next(w for w in app.main.text_input if w.label == shown)


def admin_on_accounts(view: str) -> Browser:
    app = start()
    field(app, "access_user").set_value("admin")
    field(app, "access_password").set_value("correct horse")
    app.button(key="access_sign_in_submit").click().run()
    app.switch_page("app_pages/accounts.py").run()
    user = Browser(app)
    user.choose(next(r for r in app.main.radio if r.key == "access_view.zh"), view)
    return user


def test_add_account_keeps_the_role_across_a_language_switch(
    office: Path,  # noqa: F811
    browser: BrowserMemory,  # noqa: F811
) -> None:
    user = admin_on_accounts("add")
    app = user.app
    user.choose(field(app, "access_user"), "zhao")
    user.choose(field(app, "access_display_name"), "赵规划")
    user.choose(role_widget(app, "access_add_role"), "planner")
    user.choose(field(app, "access_scope"), "990101001")
    user.choose(field(app, "access_password"), "planner pass 1")
    user.choose(field(app, "access_password_again"), "planner pass 1")
    user.switch_language("en")
    assert role_widget(app, "access_add_role").value == "planner"
    assert field(app, "access_user").value == "zhao"
    app.button(key="access_add_submit").click().run()
    assert not app.exception, [e.value for e in app.exception]
    storage = access_storage(GeoPackageStore(office / "sample.gpkg"))
    zhao = next(a for a in list_accounts(storage) if a.user == "zhao")
    assert (zhao.role, zhao.scope, zhao.display_name) == ("planner", Scope("990101001"), "赵规划")


def test_change_account_keeps_the_edits_across_a_language_switch(
    office: Path,  # noqa: F811
    browser: BrowserMemory,  # noqa: F811
) -> None:
    storage = access_storage(GeoPackageStore(office / "sample.gpkg"))
    add_account(storage, "zhao", password="planner pass 1", role="planner", display_name="赵")
    user = admin_on_accounts("change")
    app = user.app
    user.choose(role_widget(app, "access_change_user"), "zhao")
    role = role_widget(app, "access_change_role_zhao")
    assert role.value == "planner"
    user.choose(role, "viewer")
    user.choose(field(app, "access_display_name"), "赵网格员")
    user.choose(field(app, "access_scope"), "990101001003")
    user.switch_language("en")
    assert role_widget(app, "access_change_role_zhao").value == "viewer"
    assert field(app, "access_display_name").value == "赵网格员"
    assert field(app, "access_scope").value == "990101001003"
    app.button(key="access_change_submit").click().run()
    assert not app.exception, [e.value for e in app.exception]
    zhao = next(a for a in list_accounts(storage) if a.user == "zhao")
    assert (zhao.role, zhao.scope, zhao.display_name) == (
        "viewer",
        Scope("990101001003"),
        "赵网格员",
    )


def test_sign_in_keeps_a_typed_name_across_a_language_switch(
    office: Path,  # noqa: F811
    browser: BrowserMemory,  # noqa: F811
) -> None:
    app = start()
    user = Browser(app)
    user.choose(field(app, "access_user"), "admin")
    user.choose(field(app, "access_password"), "correct horse")
    user.switch_language("en")
    assert field(app, "access_user").value == "admin"
    assert field(app, "access_password").value == "correct horse"
    app.button(key="access_sign_in_submit").click().run()
    assert app.session_state["access_session"].user == "admin"


def audit_table(app: AppTest):  # type: ignore[no-untyped-def]
    return app.dataframe[0].value


def test_the_audit_log_reads_in_the_pages_language(
    office: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    downloads: list[bytes] = []
    offered = st.download_button

    def download_button(label, data, *args, **kwargs):  # type: ignore[no-untyped-def]
        downloads.append(data)
        return offered(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", download_button)
    storage = access_storage(GeoPackageStore(office / "sample.gpkg"))
    admin = sign_in(storage, "admin", "correct horse")
    update_account(storage, "wang", role="planner", scope="990101001003", actor=admin)
    app = admin_on_accounts("audit").app
    log = audit_table(app)
    assert list(log.columns) == [t(f"access_audit_col_{c}", "zh") for c in AUDIT_COLUMNS]
    assert "user" not in log.columns
    assert set(log["角色"]) <= {"系统管理员", ""}
    assert "系统管理员" in set(log["角色"])
    assert {"登录", "修改账号"} <= set(log["操作"])
    raw = {"administrator", "account_change", "sign_in"}
    assert not raw & (set(log["操作"]) | set(log["角色"]))
    cells = log.drop(columns=["时间 (UTC)"]).astype(str).to_numpy().ravel().tolist()
    assert not {"None", "nan", "<NA>"} & set(cells)
    change = log.loc[log["操作"] == "修改账号", "详情"].tolist()
    assert change == ["wang · 角色: 规划人员, 范围（网格编码前缀）: 990101001003"]
    made = log.loc[log["操作"] == "新建账号", "详情"].tolist()
    assert made == ["wang · 网格员（只读）", "admin · 系统管理员"]
    # The CSV: values as stored (keys, for machines), headers in the page's language.
    csv = pd.read_csv(io.BytesIO(downloads[-1]), encoding="utf-8-sig", dtype=str)
    assert list(csv.columns) == list(log.columns)
    assert {"account_change", "sign_in"} <= set(csv["操作"])
    assert set(csv["角色"]) == {"administrator"}
    switch_language(app, "en")
    log = audit_table(app)
    assert "Action" in log.columns
    assert "Account changed" in set(log["Action"])
    csv = pd.read_csv(io.BytesIO(downloads[-1]), encoding="utf-8-sig", dtype=str)
    assert list(csv.columns) == list(log.columns)


@pytest.mark.parametrize("typed", ["adm", "ADM", "dmi"])
def test_the_audit_user_filter_matches_a_part_of_the_name(
    office: Path,  # noqa: F811
    typed: str,
) -> None:
    storage = access_storage(GeoPackageStore(office / "sample.gpkg"))
    sign_in(storage, "wang", "grid worker 1")
    app = admin_on_accounts("audit").app
    everyone = audit_table(app)
    user = "账号" if "账号" in everyone.columns else "user"  # the header is tested above
    assert "wang" in set(everyone[user])
    app.text_input(key="access_audit_user").set_value(typed).run()
    log = audit_table(app)
    assert len(log) > 0
    assert set(log[user]) == {"admin"}
    assert len(log) == (everyone[user] == "admin").sum()


def registered_pages() -> list[tuple[str, str]]:
    """(page file, title text key) as streamlit_app.py registers them, in its order."""
    source = (ROOT / "streamlit_app.py").read_text()
    return re.findall(r'"app_pages/(\w+)\.py",\s*title=tr\("(\w+)"\)', source)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_rights_table_lists_each_roles_navigation(office: Path, lang: str) -> None:  # noqa: F811
    pages = registered_pages()
    assert ("patrol_routes", "page_patrol_routes") in pages
    app = admin_on_accounts("list").app
    if lang == "en":
        switch_language(app, "en")
    rights = app.dataframe[1].value
    listed = dict(zip(rights.iloc[:, 0], rights.iloc[:, 1], strict=True))
    for role, rights_of in ROLES.items():
        expected = ", ".join(
            t(title, lang) for page, title in pages if page == "overview" or page in rights_of.pages
        )
        assert listed[t(f"access_role_{role}", lang)] == expected, role
    patrol = t("page_patrol_routes", lang)
    assert patrol in listed[t("access_role_administrator", lang)]
    assert patrol in listed[t("access_role_police", lang)]
