"""What an account scoped to an area, or a read-only role, is offered and told: not what it
may not do, not another area's counts; refusals name the right in the page's language."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridmap.access import AccessDeniedError, Scope, Session
from gridmap.i18n import localize
from tests.test_access_pages import office, sign_in_as, start  # noqa: F401 - fixtures
from tests.test_app import home  # noqa: F401 - a fixture


def test_a_viewer_is_not_offered_to_save_hot_spots(office: Path) -> None:  # noqa: F811
    app = sign_in_as(start(), "wang", "grid worker 1")
    app.session_state["hs_report_view"] = "report"
    app.switch_page("app_pages/warnings_report.py").run()
    assert not app.exception, [e.value for e in app.exception]
    assert not [b for b in app.button if b.key == "hs_handoff_save"]
    assert any("不能保存新版本" in i.value for i in app.info), [i.value for i in app.info]


@pytest.mark.parametrize(
    ("lang", "words"), [("zh", "没有此权限（编辑与恢复）"), ("en", "(Edit and restore)")]
)
def test_a_refusal_names_the_right_in_the_page_language(lang: str, words: str) -> None:
    viewer = Session("wang", "viewer", Scope(""), "王网格员", "10.0.0.7")
    with pytest.raises(AccessDeniedError) as refused:
        viewer.require("edit")
    assert words in localize(refused.value.args[0], lang)


def test_a_clients_back_off_is_capped_lower_than_a_names() -> None:
    from gridmap.access._accounts import SignInThrottle

    now = [0.0]
    throttle = SignInThrottle(clock=lambda: now[0])
    for i in range(40):  # one person behind the office's proxy, many wrong names
        throttle.failed(f"name{i}", "10.0.0.1")
    assert throttle.wait_seconds("colleague", "10.0.0.1") == 60.0
    for _ in range(40):  # one name guessed at from many addresses
        throttle.failed("li", "")
    assert throttle.wait_seconds("li", "") == 900.0


def test_a_scoped_planner_is_told_its_areas_counts_not_the_workspaces(
    office: Path,  # noqa: F811
) -> None:
    from gridmap.access import access_storage, add_account, scoped
    from gridmap.store import GeoPackageStore
    from tests.test_access_pages import COMMUNITY

    store = GeoPackageStore(office / "sample.gpkg")
    add_account(
        access_storage(store), "zhou", password="planner pass 1", role="planner", scope=COMMUNITY
    )
    app = sign_in_as(start(), "zhou", "planner pass 1")
    app.switch_page("app_pages/data.py").run()
    assert not app.exception, [e.value for e in app.exception]
    layers = app.dataframe[0].value.set_index("图层")
    session = app.session_state["access_session"]
    mine = len(scoped(store, session).read("incidents"))
    whole = len(store.read("incidents"))
    assert 0 < mine < whole
    assert layers.loc["事件", "要素数"] == mine
    history = [d.value for d in app.dataframe if "操作人" in d.value.columns]
    assert history
    assert "要素数" not in history[0].columns
