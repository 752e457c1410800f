"""The Coverage & posts page (覆盖与站点) through AppTest, on private copies of the sample."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gridmap.patrol import coverage, network, views
from gridmap.store import GeoPackageStore, install_sample_workspace
from tests.test_app import run_app

PAGE = "app_pages/coverage.py"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    monkeypatch.delenv("GRIDMAP_WORKSPACE", raising=False)
    install_sample_workspace(tmp_path / "sample.gpkg")
    return tmp_path


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def widget(app: AppTest, key: str) -> object:
    return next(
        w
        for w in [*app.selectbox, *app.radio, *app.slider, *app.number_input, *app.button]
        if w.key and w.key.rsplit(".", 1)[0] == key
    )


@pytest.mark.parametrize("view", ["coverage", "gaps", "whatif", "siting"])
def test_every_view_draws_in_both_languages(home: Path, view: str) -> None:
    for language in ("zh", "en"):
        app = run_app(PAGE, pp_view=view, lang=language)
        assert app.title[0].value == ("覆盖与站点" if language == "zh" else "Coverage & posts")
        assert not app.error, [e.value for e in app.error]
        assert app.expander  # the view's help text and sources


def test_page_figures_are_the_library_figures(home: Path) -> None:
    # Computed here straight from gridmap.patrol (no snap cache, no views), then compared
    # with what the page shows.
    store = GeoPackageStore(home / "sample.gpkg")
    graphs = network.street_graphs(store.read("streets"), crs=store.working_crs())
    posts = store.read("posts")
    report = coverage.coverage_report(
        graphs,
        posts,
        sites=store.read("sites"),
        incidents=store.read("incidents"),
        grids=store.read("grids"),
    )
    s = report.summary.set_index("minutes")
    app = run_app(PAGE, pp_view="coverage", lang="en")
    shown = metrics(app)
    assert shown["Streets within 5 min"] == f"{s.loc[5.0, 'street_share']:.1%}"
    assert shown["Key sites within class"] == f"{s.loc['class', 'site_share']:.1%}"
    assert shown["Incidents within 5 min"] == f"{s.loc[5.0, 'incident_share']:.1%}"
    # The per-grid table too.
    grid_table = next(d.value for d in app.dataframe if "Grid code" in d.value.columns)
    by_grid = report.by_grid.set_index(["grid_code", "minutes"])
    for _, row in grid_table.iterrows():
        assert row["Streets 3 min %"] == pytest.approx(
            round(by_grid.loc[(row["Grid code"], 3.0), "street_share"] * 100, 1)
        )
    # All posts by car: the library's figure for that mode too.
    car = coverage.coverage_report(graphs, posts.assign(mode="car"))
    app = run_app(PAGE, pp_view="coverage", lang="en", pp_mode="car")
    assert metrics(app)["Streets within 5 min"] == (
        f"{car.summary.set_index('minutes').loc[5.0, 'street_share']:.1%}"
    )


def test_moving_a_post_shows_before_and_after_and_saves_only_with_an_editor(
    home: Path,
) -> None:
    store = GeoPackageStore(home / "sample.gpkg")
    before_versions = len(store.history("posts"))
    app = run_app(PAGE, pp_view="whatif", pp_action="move", pp_post="P01", lang="en")
    nodes = widget(app, "pp_node")
    nodes.set_value(nodes.options[40]).run()
    assert not app.exception
    # Measured: the page's refresh after moving a post again (graph and snaps cached).
    nodes = widget(app, "pp_node")
    started, cpu = time.perf_counter(), time.process_time()
    nodes.set_value(nodes.options[80]).run()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"refresh after moving a post: {seconds:.2f} s wall, {cpu:.2f} s CPU")
    # CPU time (the script runs in a thread of this process) does not grow with the load of
    # a shared runner as wall time does; target ≤ 2 s, with headroom for slower CPUs.
    assert cpu < 4
    table = next(d.value for d in app.dataframe if "Before" in d.value.columns)
    assert len(table) == 10
    widget(app, "pp_save").click().run()
    assert any("editor" in w.value for w in app.warning)
    assert len(store.history("posts")) == before_versions  # refused without a name

    app.session_state["editor"] = "李四"
    widget(app, "pp_save").click().run()
    assert not app.exception
    assert any("posts" in s.value for s in app.success)
    last = store.history("posts")[-1]
    assert last.author == "李四"
    saved = store.read("posts")
    assert len(saved) == 8
    moved = saved.set_index("post_id").geometry["P01"]
    original = GeoPackageStore(home / "sample.gpkg").read("posts", version=1)
    assert moved.distance(original.set_index("post_id").geometry["P01"]) > 0
    assert set(saved["mode"]) == set(original["mode"])  # each post keeps its own mode


def test_adding_a_post_by_coordinates(home: Path) -> None:
    posts = GeoPackageStore(home / "sample.gpkg").read("posts")
    p = posts.geometry.iloc[0]
    app = run_app(
        PAGE, pp_view="whatif", pp_action="add", pp_place="lonlat", pp_new_mode="car", lang="en"
    )
    widget(app, "pp_lon").set_value(p.x + 0.004).run()
    widget(app, "pp_lat").set_value(p.y - 0.002).run()
    assert not app.exception
    table = next(d.value for d in app.dataframe if "Before" in d.value.columns)
    changes = table["Change (points)"].str.replace("+", "").astype(float)
    assert (changes >= 0).all()
    assert (changes > 0).any()


def test_siting_shows_gap_gain_and_the_greedy_answer(home: Path) -> None:
    app = run_app(
        PAGE,
        pp_view="siting",
        lang="en",
        pp_k=2,
        pp_days=14,
        pp_time_limit=5,
        pp_siting_mode="walk",
    )
    widget(app, "pp_run").click().run()
    assert not app.exception
    assert not app.error, [e.value for e in app.error]
    table = next(d.value for d in app.dataframe if "Greedy" in d.value.columns)
    figures = dict(zip(table["Figure"], table["Optimal (HiGHS)"], strict=True))
    assert {"Optimality gap", "Gain", "Covered by the current posts"} <= set(figures)
    proposed = next(d.value for d in app.dataframe if "candidate_id" in d.value.columns)
    assert len(proposed) == 2
    # The fewest posts for every key site (LSCP).
    widget(app, "pp_siting_kind").set_value("lscp").run()
    widget(app, "pp_run").click().run()
    assert not app.exception
    assert not app.error
    table = next(d.value for d in app.dataframe if "Greedy" in d.value.columns)
    figures = dict(zip(table["Figure"], table["Optimal (HiGHS)"], strict=True))
    greedy = dict(zip(table["Figure"], table["Greedy"], strict=True))
    assert int(figures["New posts needed"]) <= int(greedy["New posts needed"])


def test_no_posts_or_no_streets_say_what_to_import(home: Path) -> None:
    sample = GeoPackageStore(home / "sample.gpkg")
    no_posts = GeoPackageStore(home / "noposts.gpkg")
    for name in ("streets", "grids", "sites"):
        no_posts.write(name, sample.read(name), message="copy")
    app = run_app(PAGE, workspace=str(home / "noposts.gpkg"), lang="en")
    assert any("no sentinel posts" in i.value for i in app.info)
    assert metrics(app)["Streets within 5 min"] == "0.0%"
    # Adding a first post works without any.
    app = run_app(PAGE, workspace=str(home / "noposts.gpkg"), lang="en", pp_view="whatif")
    assert not app.error
    assert widget(app, "pp_action").options == ["Add a post"]

    no_streets = GeoPackageStore(home / "nostreets.gpkg")
    no_streets.write("posts", sample.read("posts"), message="copy")
    app = run_app(PAGE, workspace=str(home / "nostreets.gpkg"), lang="zh")
    assert any("道路" in i.value for i in app.info)
    assert not app.metric


def test_the_views_need_no_streamlit() -> None:
    source = Path(views.__file__).read_text(encoding="utf-8")
    assert "import streamlit" not in source
    assert "from streamlit" not in source


def test_hostile_post_and_grid_names_stay_text(home: Path) -> None:
    store = GeoPackageStore(home / "sample.gpkg")
    hostile = "![x](http://example.invalid/x.png) <img src=x onerror=alert(1)>"
    posts = store.read("posts")
    posts.loc[0, "name"] = hostile
    posts.loc[1, "post_id"] = "P<b>2</b>"
    store.write("posts", posts, message="hostile names")
    grids = store.read("grids")
    grids.loc[0, "name"] = hostile
    store.write("grids", grids, message="hostile names")
    for view in ("coverage", "whatif"):
        app = run_app(PAGE, pp_view=view, pp_action="move", pp_post="P<b>2</b>", lang="en")
        assert not app.error
        shown = [*app.markdown, *app.caption, *app.info, *app.warning]
        assert all("![x]" not in e.value and "<img" not in e.value for e in shown)
