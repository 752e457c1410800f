"""Every page through Streamlit's AppTest, on a private copy of the sample workspace."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gridmap.grids import dissolve_level
from gridmap.store import GeoPackageStore, install_sample_workspace

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    monkeypatch.delenv("GRIDMAP_WORKSPACE", raising=False)
    install_sample_workspace(tmp_path / "sample.gpkg")
    return tmp_path


def run_app(page: str | None = None, **state: object) -> AppTest:
    """Run the app once on `page` (the Overview if None), with session `state` set first.

    Under st.navigation, AppTest reruns only the page script after the first run, so
    sidebar choices are made through their session keys before it. The first run opens
    `page` itself, as a deep link does: not the Overview first (a second or more of
    every page test on a fresh workspace).
    """
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=90)
    for key, value in state.items():
        app.session_state[key] = value
    if page is not None:
        app.switch_page(page)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def metric(app: AppTest, label: str) -> str:
    return next(m.value for m in app.metric if m.label == label)


def test_overview_shows_the_sample_figures(home: Path) -> None:
    app = run_app()
    store = GeoPackageStore(home / "sample.gpkg")
    grids = store.read("grids")
    assert app.title[0].value == "总览"
    assert metric(app, "户数") == f"{int(grids['households'].sum()):,}"
    assert metric(app, "网格数") == "30"
    assert any("合成" in c.value for c in app.caption)  # synthetic data is labelled


def test_language_switch_translates_the_page(home: Path) -> None:
    app = run_app(lang="en")
    assert app.title[0].value == "Overview"
    assert {m.label for m in app.metric} >= {"Households", "Grids", "Incidents, last 30 days"}


def test_area_filter_narrows_figures_to_a_community(home: Path) -> None:
    grids = GeoPackageStore(home / "sample.gpkg").read("grids")
    street = dissolve_level(grids, "street")["code"].iloc[0]
    community = dissolve_level(grids, "community").iloc[2]
    app = run_app(**{"area_street_": street, f"area_community_{street}": community["code"]})
    assert app.sidebar.selectbox[2].value == community["code"]
    assert metric(app, "户数") == f"{int(community['households']):,}"
    assert metric(app, "网格数") == str(community["n_grids"])


def test_data_page_lists_layers_and_restores_a_version(home: Path) -> None:
    store = GeoPackageStore(home / "sample.gpkg")
    grids = store.read("grids")
    store.write("grids", grids.iloc[:10], message="a planner's mistake")
    app = run_app("app_pages/data.py", editor="张三")
    assert app.title[0].value == "数据"
    assert len(app.dataframe) >= 2
    app.selectbox(key="history_layer.zh").set_value("grids").run()
    app.selectbox(key="history_version").set_value(1).run()
    app.button(key="history_restore").click().run()
    assert not app.exception
    assert len(store.read("grids")) == 30
    last = store.history("grids")[-1]
    assert (last.action, last.based_on) == ("restore", 1)
    # The editor typed in the browser, not the server's account, is the author.
    assert last.author == "张三"


def test_a_new_empty_workspace_says_what_to_do(home: Path) -> None:
    GeoPackageStore(home / "empty.gpkg")
    app = run_app(workspace=str(home / "empty.gpkg"))
    assert any("导入" in i.value for i in app.info)


def test_pages_use_the_store_interface_only() -> None:
    # A PostGIS backend must be addable without touching pages: they name no backend.
    sources = [ROOT / "streamlit_app.py", *(ROOT / "app_pages").glob("*.py")]
    assert all("GeoPackageStore" not in path.read_text(encoding="utf-8") for path in sources)
