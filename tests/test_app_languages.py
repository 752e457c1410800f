"""中文 → English → 中文 on every page, with widgets away from their defaults.

A browser keeps the *label* a select widget shows and sends it back on the next run; a
widget whose key stayed the same across a language switch then got the old language's
label ('网格') as its value, and the Data page failed with ``layer must be one of grids…;
got '网格'``. AppTest re-serialises each value with the current labels, which hides the
bug, so :class:`BrowserMemory` makes select widgets send what a browser would.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import InitialValue, Radio, Selectbox

from gridmap.access import SignInThrottle, access_storage, add_account, sign_in
from gridmap.grids import dissolve_level
from gridmap.store import GeoPackageStore, install_sample_workspace
from tests.test_app import ROOT, run_app

CSV = (
    "编号,类别,发生时间,经度,纬度\n"
    "C-1,盗窃,2026-10-03 21:00,24.945,60.170\n"
    "C-2,噪音扰民,2026-10-04 01:00,24.946,60.172\n"
).encode()


class BrowserMemory:
    """Select widgets as the browser runs them: each widget id keeps the label it showed.

    A label is remembered when the widget first appears (its default) or when the test
    picks a value (what a click does), and sent back on every later run, even after the
    page was redrawn in another language.
    """

    def __init__(self) -> None:
        self.labels: dict[str, str] = {}

    def widget_state(self, widget: Selectbox | Radio) -> WidgetState:
        state = WidgetState()
        state.id = widget.id
        picked = not isinstance(widget._value, InitialValue)
        if (picked or widget.id not in self.labels) and widget.index is not None:
            self.labels[widget.id] = widget.options[widget.index]
        if widget.id in self.labels:
            state.string_value = self.labels[widget.id]
        return state


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    monkeypatch.setenv("GRIDMAP_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.delenv("GRIDMAP_WORKSPACE", raising=False)
    install_sample_workspace(tmp_path / "sample.gpkg")
    return tmp_path


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> BrowserMemory:
    memory = BrowserMemory()
    for cls in (Selectbox, Radio):
        monkeypatch.setattr(cls, "_widget_state", property(memory.widget_state))
    return memory


def switch_language(app: AppTest, to: str) -> None:
    radio = next(r for r in app.sidebar.radio if r.key and r.key.startswith("lang_picker_"))
    radio.set_value(to).run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.session_state["lang"] == to


def pick(app: AppTest, key: str, value: object) -> None:
    """Choose `value` in the select widget whose plain key is `key` (any language)."""
    widgets = [*app.selectbox, *app.radio]
    widget = next(w for w in widgets if w.key and w.key.rsplit(".", 1)[0] == key)
    widget.set_value(value).run()
    assert not app.exception, [e.value for e in app.exception]


def round_trip(app: AppTest, chosen: dict[str, object]) -> None:
    for language in ("en", "zh", "en", "zh"):
        switch_language(app, language)
        for key, value in chosen.items():
            assert app.session_state[key] == value, (language, key)
            widgets = [
                w for w in [*app.selectbox, *app.radio] if w.key in (key, f"{key}.{language}")
            ]
            assert [w.value for w in widgets] == [value], (language, key)


def test_the_data_page_survives_language_round_trips(home: Path, browser: BrowserMemory) -> None:
    app = run_app("app_pages/data.py", editor="张三")
    app.file_uploader(key="upload_file").set_value(("calls.csv", CSV, "text/csv")).run()
    chosen = {
        "upload_layer": "sites",
        "upload_crs": "gcj02",
        "upload_encoding": "gbk",
        "upload_mode_sites": "replace",
        "upload_timezone": "UTC",
        "table_layer": "posts",
        "export_layer": "grids",
        "export_format": "csv",
        "export_crs": "bd09",
        "history_layer": "streets",
    }
    for key, value in chosen.items():
        pick(app, key, value)
    round_trip(app, chosen)
    # The page still works on the chosen values: the table shows posts.
    posts = GeoPackageStore(home / "sample.gpkg").read("posts")
    assert any(len(d.value) == len(posts) for d in app.dataframe)


def test_the_overview_and_sidebar_survive_language_round_trips(
    home: Path, browser: BrowserMemory
) -> None:
    grids = GeoPackageStore(home / "sample.gpkg").read("grids")
    street = dissolve_level(grids, "street")["code"].iloc[0]
    app = run_app()
    chosen = {"overview_colour": "cells", "basemap": "osm", "area_street_": street}
    for key, value in chosen.items():
        pick(app, key, value)
    round_trip(app, chosen)
    assert app.session_state["area_prefix"] == street


@pytest.mark.parametrize(
    "chosen",
    [
        {"grids_view": "edit", "grids_edit_kind": "split_streets", "grids_split_grid": 3},
        {"grids_view": "auto", "grids_auto_by": "range", "grids_auto_community": 1},
        {"grids_view": "topology"},
    ],
)
def test_the_grids_page_survives_language_round_trips(
    home: Path, browser: BrowserMemory, chosen: dict[str, object]
) -> None:
    grids = GeoPackageStore(home / "sample.gpkg").read("grids")
    codes = grids["grid_code"].astype(str)
    # Integers stand for the n-th grid's code (or its community's).
    communities = sorted({c[:12] for c in codes})
    chosen = {
        key: (
            value
            if not isinstance(value, int)
            else communities[value]
            if key == "grids_auto_community"
            else codes.iloc[value]
        )
        for key, value in chosen.items()
    }
    app = run_app("app_pages/grids.py")
    in_form = {"grids_auto_by"}  # chosen as a browser does: counted when the form is sent
    for key, value in chosen.items():
        if key not in in_form:
            pick(app, key, value)
    if in_form & set(chosen):
        app.radio(key="grids_auto_by.zh").set_value(chosen["grids_auto_by"])
        app.button(key="grids_auto_run").click().run()
        assert not app.exception
    round_trip(app, chosen)


def registered_pages() -> list[str]:
    """The page files streamlit_app.py hands to st.navigation."""
    tree = ast.parse((ROOT / "streamlit_app.py").read_text(encoding="utf-8"))
    return [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", None) == "Page"
        and isinstance(node.args[0], ast.Constant)
    ]


@pytest.mark.parametrize(
    ("page", "chosen"),
    [
        ("app_pages/heatmaps.py", {"hs_view": "gi"}),
        ("app_pages/warnings_report.py", {"hs_report_view": "requests"}),
        ("app_pages/coverage.py", {"pp_view": "whatif", "pp_mode": "bike", "pp_action": "move"}),
        ("app_pages/patrol_routes.py", {"pr_view": "schedule", "pr_mode": "bike"}),
        ("app_pages/patrol_routes.py", {"pr_view": "actual", "pr_track_source": "synthetic"}),
    ],
)
def test_the_street_office_pages_survive_language_round_trips(
    home: Path, browser: BrowserMemory, page: str, chosen: dict[str, object]
) -> None:
    app = run_app(page)
    for key, value in chosen.items():
        pick(app, key, value)
    round_trip(app, chosen)


def test_the_accounts_and_sign_in_pages_survive_language_round_trips(
    home: Path, browser: BrowserMemory
) -> None:
    workspace = str(home / "sample.gpkg")
    storage = access_storage(GeoPackageStore(workspace))
    add_account(storage, "admin", password="correct horse", role="administrator")
    # Signed out: the sign-in page, whose typed name outlives the switches.
    app = run_app()
    app.text_input(key="access_user").set_value("admin")
    app.text_input(key="access_password").set_value("not it")
    app.button(key="access_sign_in_submit").click().run()
    round_trip(app, {})
    assert app.text_input(key="access_user").value == "admin"
    assert app.title[0].value == "登录"
    session = sign_in(storage, "admin", "correct horse", throttle=SignInThrottle())
    browser.labels.clear()  # another browser tab: it remembers nothing of the first
    app = run_app(
        "app_pages/accounts.py",
        workspace=workspace,
        access_session=session,
        access_workspace=workspace,
    )
    chosen = {"access_view": "audit", "access_audit_action": "sign_in"}
    for key, value in chosen.items():
        pick(app, key, value)
    round_trip(app, chosen)
    # headers and actions in the page's language (zh after the round trip)
    assert app.dataframe[0].value["操作"].tolist() == ["登录"]


def test_every_registered_page_is_covered_here() -> None:
    # A new page must get its own round trip above.
    assert sorted(registered_pages()) == [
        "app_pages/accounts.py",
        "app_pages/coverage.py",
        "app_pages/data.py",
        "app_pages/grids.py",
        "app_pages/heatmaps.py",
        "app_pages/overview.py",
        "app_pages/patrol_routes.py",
        "app_pages/warnings_report.py",
    ]


@pytest.mark.parametrize("page", registered_pages())
def test_every_page_survives_a_plain_round_trip(
    home: Path, browser: BrowserMemory, page: str
) -> None:
    app = run_app(page)
    round_trip(app, {})
