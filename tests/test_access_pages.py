"""Sign-in, the role's pages, the scope on the Overview and the Accounts page, through
Streamlit's AppTest in Chinese and English, on a private copy of the sample workspace."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gridmap.access import (
    Scope,
    SignInThrottle,
    access_storage,
    add_account,
    list_accounts,
    read_audit,
    sign_in,
    update_account,
)
from gridmap.i18n import t
from gridmap.store import GeoPackageStore
from tests.test_app import ROOT, home, metric  # noqa: F401 - home is a fixture

COMMUNITY = "990101001002"


def start(**state: object) -> AppTest:
    state.setdefault("lang", "zh")
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=90)
    for key, value in state.items():
        app.session_state[key] = value
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


@pytest.fixture
def office(home: Path) -> Path:  # noqa: F811
    storage = access_storage(GeoPackageStore(home / "sample.gpkg"))
    add_account(storage, "admin", password="correct horse", role="administrator")
    add_account(
        storage,
        "wang",
        password="grid worker 1",
        role="viewer",
        scope=COMMUNITY,
        display_name="王网格员",
    )
    return home


def sign_in_as(app: AppTest, user: str, password: str) -> AppTest:
    app.text_input(key="access_user").set_value(user)
    app.text_input(key="access_password").set_value(password)
    app.button(key="access_sign_in_submit").click().run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_laptop_mode_has_no_sign_in(home: Path) -> None:  # noqa: F811
    app = start()
    assert app.title[0].value == "总览"
    assert "access_session" not in app.session_state
    app.switch_page("app_pages/accounts.py").run()
    assert not app.exception
    assert any("单机模式" in i.value for i in app.info)
    # only an administrator can be the first account
    role = app.selectbox(key="access_add_role.zh")
    assert role.options == ["系统管理员"]


@pytest.mark.parametrize(
    ("lang", "title", "wrong"), [("zh", "登录", "不正确"), ("en", "Sign in", "wrong")]
)
def test_sign_in_gate(office: Path, lang: str, title: str, wrong: str) -> None:
    app = start(lang=lang)
    assert app.title[0].value == title
    assert not app.metric  # nothing of the workspace before signing in
    sign_in_as(app, "wang", "not the password")
    assert any(wrong in e.value for e in app.error)
    assert app.title[0].value == title
    sign_in_as(app, "wang", "grid worker 1")
    assert app.title[0].value == ("总览" if lang == "zh" else "Overview")
    assert app.session_state["access_session"].user == "wang"
    # an account belongs to its workspace: no workspace picker, no typed editor name
    assert not [s for s in app.sidebar.selectbox if (s.key or "").startswith("workspace_picker")]
    assert not [t for t in app.sidebar.text_input if t.key == "editor_input"]
    actions = read_audit(access_storage(GeoPackageStore(office / "sample.gpkg")))["action"]
    assert actions.tolist()[-2:] == ["sign_in_failed", "sign_in"]


def test_a_community_viewer_sees_its_community_only(office: Path) -> None:
    store = GeoPackageStore(office / "sample.gpkg")
    grids = store.read("grids")
    mine = grids[grids["grid_code"].str.startswith(COMMUNITY)]
    app = sign_in_as(start(), "wang", "grid worker 1")
    assert metric(app, "网格数") == str(len(mine))
    assert metric(app, "户数") == f"{int(mine['households'].sum()):,}"
    # pages of the viewer's role only
    session = app.session_state["access_session"]
    assert session.rights.pages == {"overview", "heatmaps", "warnings_report"}
    for page in ("data", "grids", "coverage", "accounts"):  # not in the viewer's navigation
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app.switch_page(f"app_pages/{page}.py")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_accounts_page(office: Path, lang: str) -> None:
    storage = access_storage(GeoPackageStore(office / "sample.gpkg"))
    app = sign_in_as(start(lang=lang), "admin", "correct horse")
    app.switch_page("app_pages/accounts.py").run()
    assert not app.exception
    assert app.title[0].value == ("账号与审计" if lang == "zh" else "Accounts & audit")
    listed = app.dataframe[0].value
    assert listed.iloc[:, 0].tolist() == ["admin", "wang"]
    # create
    app.radio(key=f"access_view.{lang}").set_value("add").run()
    app.text_input(key="access_add_user").set_value("li")
    app.text_input(key="access_add_name").set_value("<b>李</b>")
    app.selectbox(key=f"access_add_role.{lang}").set_value("police")
    app.text_input(key="access_add_scope").set_value("990101001")
    app.text_input(key="access_add_pw").set_value("police pass 1")
    app.text_input(key="access_add_pw2").set_value("police pass 1")
    app.button(key="access_add_submit").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.success
    li = next(a for a in list_accounts(storage) if a.user == "li")
    assert (li.role, li.scope, li.display_name) == ("police", Scope("990101001"), "<b>李</b>")
    # change: disable wang
    app.radio(key=f"access_view.{lang}").set_value("change").run()
    app.selectbox(key=f"access_change_user.{lang}").set_value("wang").run()
    app.checkbox[0].check()
    app.button(key="access_change_submit").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert next(a for a in list_accounts(storage) if a.user == "wang").disabled
    # reset a password
    app.radio(key=f"access_view.{lang}").set_value("password").run()
    app.selectbox(key=f"access_password_user.{lang}").set_value("li").run()
    app.text_input(key="access_new_pw").set_value("fresh pass 22")
    app.text_input(key="access_new_pw2").set_value("fresh pass 22")
    app.button(key="access_reset_submit").click().run()
    assert not app.exception
    assert sign_in(storage, "li", "fresh pass 22", throttle=SignInThrottle()).role == "police"
    # the audit log, filtered
    app.radio(key=f"access_view.{lang}").set_value("audit").run()
    app.selectbox(key=f"access_audit_action.{lang}").set_value("account_change").run()
    assert not app.exception
    log = app.dataframe[0].value
    assert log[t("access_audit_col_action", lang)].tolist() == [
        t("access_action_account_change", lang)
    ]
    assert log[t("access_audit_col_user", lang)].tolist() == ["admin"]


def test_a_disabled_account_is_signed_out_and_a_new_scope_applies_at_once(office: Path) -> None:
    storage = access_storage(GeoPackageStore(office / "sample.gpkg"))
    app = sign_in_as(start(), "wang", "grid worker 1")
    assert metric(app, "网格数") == "5"
    update_account(storage, "wang", scope=COMMUNITY + "001")  # one grid
    app.run()
    assert metric(app, "网格数") == "1"
    update_account(storage, "wang", disabled=True)
    app.run()
    assert not app.exception
    assert app.title[0].value == "登录"
    assert "access_session" not in app.session_state


def test_every_registered_page_is_known_to_the_roles() -> None:
    # A page registered in streamlit_app.py but missing from PAGES is hidden from every
    # role once accounts exist (the Patrol routes page was, for the police).
    import re

    from gridmap.access import PAGES, ROLES

    registered = set(re.findall(r"app_pages/(\w+)\.py", (ROOT / "streamlit_app.py").read_text()))
    assert registered - set(PAGES) == set()
    assert {"coverage", "patrol_routes"} <= ROLES["police"].pages
    assert "grids" in ROLES["planner"].pages


def test_a_viewer_cannot_export_and_an_analysts_download_is_audited(office: Path) -> None:
    store = GeoPackageStore(office / "sample.gpkg")
    add_account(access_storage(store), "li", password="analyst pass 1", role="analyst")
    for user, password, allowed in (
        ("wang", "grid worker 1", False),
        ("li", "analyst pass 1", True),
    ):
        app = sign_in_as(start(), user, password)
        app.switch_page("app_pages/warnings_report.py").run()
        app.radio(key="hs_report_view.zh").set_value("report").run()
        assert not app.exception, [e.value for e in app.exception]
        prepare = [b for b in app.button if b.key == "hs_report_prepare"]
        assert bool(prepare) is allowed
        assert any("没有导出数据的权限" in i.value for i in app.info) is not allowed
    session = app.session_state["access_session"]  # the analyst's

    def click_download(session, workspace):  # type: ignore[no-untyped-def]
        import streamlit as st

        from app_pages import _common

        st.session_state["access_session"] = session
        st.session_state["workspace"] = workspace
        # What the download button runs when clicked (Streamlit's deferred download).
        assert _common.audited(b"report", "incidents", "weekly report")() == b"report"

    before = len(read_audit(access_storage(store)))
    clicked = AppTest.from_function(click_download, args=(session, str(office / "sample.gpkg")))
    clicked.run()
    assert not clicked.exception, [e.value for e in clicked.exception]
    audit = read_audit(access_storage(store))
    assert len(audit) == before + 1
    assert audit.iloc[-1]["action"] == "export"
    assert audit.iloc[-1]["user"] == "li"
    assert audit.iloc[-1]["layer"] == "incidents"
