"""The Coverage & posts page (覆盖与站点) through AppTest, on private copies of the sample."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.proto.Metric_pb2 import Metric as MetricProto
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


@pytest.mark.parametrize("view", ["coverage", "gaps", "whatif", "siting", "inspect"])
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
    app = run_app(
        PAGE, pp_view="whatif", pp_action="move", pp_post="P01", pp_place="node", lang="en"
    )
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
    # The proposals in words: translated headers, the streets meeting at each place.
    proposed = next(
        d.value for d in app.dataframe if "Proposed post (intersection)" in d.value.columns
    )
    assert len(proposed) == 2
    assert not {"candidate_id", "degree", "greedy", "node"} & set(proposed.columns)
    assert proposed["Streets meeting there"].str.len().gt(0).all()
    assert set(proposed["Greedy chose it too"]) <= {"yes", "no"}
    assert any("the gain" in c.value for c in app.caption)  # the result rows explained
    # A proposal taken into the what-if: added there at its intersection, previewed.
    first = proposed.iloc[0]
    widget(app, "pp_try").click().run()
    assert not app.exception
    assert app.session_state["pp_view"] == "whatif"
    assert widget(app, "pp_lon").value == pytest.approx(first["Longitude"])
    assert any("Before" in d.value.columns for d in app.dataframe)
    widget(app, "pp_view").set_value("siting").run()
    # The fewest posts for every key site (LSCP).
    widget(app, "pp_siting_kind").set_value("lscp").run()
    widget(app, "pp_run").click().run()
    assert not app.exception
    assert not app.error
    table = next(d.value for d in app.dataframe if "Greedy" in d.value.columns)
    figures = dict(zip(table["Figure"], table["Optimal (HiGHS)"], strict=True))
    greedy = dict(zip(table["Figure"], table["Greedy"], strict=True))
    assert int(figures["New posts needed"]) <= int(greedy["New posts needed"])
    assert any("no intersection can reach in time" in c.value for c in app.caption)


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
    folder = Path(views.__file__).parent
    for path in [folder / "views.py", *folder.glob("_page_*.py")]:
        source = path.read_text(encoding="utf-8")
        assert "import streamlit" not in source, path.name
        assert "from streamlit" not in source, path.name


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
        app = run_app(
            PAGE,
            pp_view=view,
            pp_action="move",
            pp_post="P<b>2</b>",
            pp_click=(24.94, 60.17),
            lang="en",
        )
        assert not app.error
        shown = [*app.markdown, *app.caption, *app.info, *app.warning]
        assert all("![x]" not in e.value and "<img" not in e.value for e in shown)


# --- editing posts and key sites on the map ---------------------------------------------------


def test_a_click_is_read_from_what_st_folium_returns() -> None:
    assert views.place_from_click(None) is None
    assert views.place_from_click({"last_clicked": None}) is None
    place = views.place_from_click({"last_clicked": {"lat": 60.1699, "lng": 24.9384}})
    assert place == (24.9384, 60.1699)
    # On GCJ-02 tiles the click is shifted back to WGS-84: the forward shift of the answer
    # is the click (Beijing; Helsinki lies outside China, where nothing is shifted).
    from gridmap.crs import wgs84_to_gcj02

    lon, lat = views.place_from_click(
        {"last_clicked": {"lat": 39.9014035, "lng": 116.4062428}}, shift="gcj02"
    )
    assert (lon, lat) != pytest.approx((116.4062428, 39.9014035), abs=1e-4)
    again = wgs84_to_gcj02(lon, lat)
    assert float(again[0]) == pytest.approx(116.4062428, abs=1e-6)
    assert float(again[1]) == pytest.approx(39.9014035, abs=1e-6)
    with pytest.raises(ValueError, match="last_clicked"):
        views.place_from_click({"last_clicked": {"lat": "x"}})
    with pytest.raises(ValueError, match="place"):
        views.place_from_click({"last_clicked": {"lat": 95.0, "lng": 0.0}})


def test_edits_name_what_is_wrong_and_new_ids_follow_the_layer() -> None:
    assert views.next_id(["P01", "P08", "X"], "P") == "P09"
    assert views.next_id(["S0154", "S0009"], "S") == "S0155"
    assert views.next_id([], "P") == "P01"
    with pytest.raises(ValueError, match="feature_id"):
        views.Edit("posts", "move", None, (24.9, 60.1))
    with pytest.raises(ValueError, match="place"):
        views.Edit("sites", "add")
    with pytest.raises(ValueError, match="layer"):
        views.Edit("grids", "add", None, (24.9, 60.1))
    with pytest.raises(ValueError, match="staff"):
        views.Edit("sites", "add", None, (24.9, 60.1), (("staff", 3),))
    sample = GeoPackageStore(views_sample()).read("posts")
    with pytest.raises(ValueError, match="P99"):
        views.apply_edit(sample, views.Edit("posts", "remove", "P99"))
    # Other rows and columns stay exactly as they were.
    after, touched = views.apply_edit(sample, views.Edit("posts", "move", "P03", (24.95, 60.17)))
    assert touched == ("P03",)
    unchanged = after["post_id"] != "P03"
    assert after[unchanged].equals(sample[unchanged])
    assert after.geometry[~unchanged].iloc[0].coords[0] == pytest.approx((24.95, 60.17))


def views_sample() -> Path:
    from gridmap.datasets import get_path

    return Path(get_path("helsinki"))


def test_a_post_added_by_a_click_is_previewed_and_saved_with_its_attributes(home: Path) -> None:
    store = GeoPackageStore(home / "sample.gpkg")
    posts = store.read("posts")
    first = posts.geometry.iloc[0]
    click = (round(first.x + 0.004, 6), round(first.y - 0.002, 6))
    app = run_app(
        PAGE,
        pp_view="whatif",
        lang="en",
        pp_click=click,
        pp_new_mode="car",
        pp_new_kind="警务站",
        pp_staff=5,
        editor="王五",
    )
    assert not app.error, [e.value for e in app.error]
    # The preview is the library's own what-if of that post (computed here, uncached).
    graphs = network.street_graphs(store.read("streets"), crs=store.working_crs())
    added = views.apply_edit(posts, views.Edit("posts", "add", None, click))[0].iloc[[-1]]
    change = coverage.coverage_change(
        graphs,
        posts,
        add=added.assign(mode="car"),
        sites=store.read("sites"),
        incidents=store.read("incidents"),
        grids=store.read("grids"),
    )
    after = change.after.summary.set_index("minutes")
    shown = metrics(app)
    assert shown["Streets within 5 min"] == f"{after.loc[5.0, 'street_share']:.1%}"
    assert shown["Key sites within class"] == f"{after.loc['class', 'site_share']:.1%}"
    table = next(d.value for d in app.dataframe if "Before" in d.value.columns)
    assert (table["Change (points)"].str.replace("+", "").astype(float) > 0).any()
    widget(app, "pp_save").click().run()
    assert not app.exception
    assert any("posts version" in s.value for s in app.success)
    saved = store.read("posts")
    assert len(saved) == len(posts) + 1
    new = saved.set_index("post_id").loc["P09"]
    assert (new["name"], new["kind"], new["mode"], int(new["staff"])) == (
        "New sentinel post",
        "警务站",
        "car",
        5,
    )
    assert (new.geometry.x, new.geometry.y) == pytest.approx(click)
    last = store.history("posts")[-1]
    assert last.author == "王五"
    assert "add post P09" in last.message
    assert "pp_click" not in app.session_state  # a saved edit is not offered again


def test_a_conflicting_save_keeps_the_edit_and_applies_it_on_the_newer_version(
    home: Path,
) -> None:
    store = GeoPackageStore(home / "sample.gpkg")
    app = run_app(
        PAGE,
        pp_view="whatif",
        lang="en",
        pp_action="move",
        pp_post="P02",
        pp_click=(24.9401, 60.1702),
        editor="李四",
    )
    assert any("Before" in d.value.columns for d in app.dataframe)
    # Someone else removes P05 while the preview is on screen.
    other = store.read("posts")
    store.write("posts", other[other["post_id"] != "P05"], author="张三", message="closed")
    versions = len(store.history("posts"))
    widget(app, "pp_save").click().run()
    assert not app.exception
    assert any("张三" in e.value for e in app.error)  # who saved meanwhile
    assert any("kept" in i.value for i in app.info)
    assert len(store.history("posts")) == versions  # nothing overwritten
    assert app.session_state["pp_click"] == (24.9401, 60.1702)  # the edit is still there
    # A rerun (here: the language switched) still offers the kept edit, now in Chinese.
    app.session_state["lang"] = "zh"
    app.run()
    assert any("仍保留" in i.value for i in app.info)
    app.session_state["lang"] = "en"
    app.run()
    # Saving again applies the move on top of the other editor's version.
    widget(app, "pp_save").click().run()
    assert not app.exception
    saved = store.read("posts").set_index("post_id")
    assert "P05" not in saved.index
    assert (saved.geometry["P02"].x, saved.geometry["P02"].y) == pytest.approx((24.9401, 60.1702))
    assert store.history("posts")[-1].author == "李四"


def test_a_key_site_added_by_a_click_counts_against_its_class(home: Path) -> None:
    store = GeoPackageStore(home / "sample.gpkg")
    sites = store.read("sites")
    post = store.read("posts").set_index("post_id").geometry["P01"]
    # A class-1 site at a walking post is reached at once; counted independently here.
    report = coverage.coverage_report(
        network.street_graphs(store.read("streets"), crs=store.working_crs()),
        store.read("posts"),
        sites=sites,
    )
    within = int(report.sites["within_class"].sum())
    app = run_app(
        PAGE,
        pp_view="whatif",
        lang="en",
        pp_edit_layer="sites",
        pp_site_kind="metro",
        pp_site_class=1,
        pp_click=(round(post.x, 7), round(post.y, 7)),
        editor="李四",
    )
    assert not app.error, [e.value for e in app.error]
    assert metrics(app)["Key sites within class"] == f"{(within + 1) / (len(sites) + 1):.1%}"
    assert metrics(app)["Streets within 5 min"] == f"{report.summary.iloc[2]['street_share']:.1%}"
    widget(app, "pp_save_sites").click().run()
    assert any("sites version" in s.value for s in app.success)
    saved = store.read("sites").set_index("site_id")
    (new_id,) = set(saved.index) - set(sites["site_id"])
    assert new_id == views.next_id(sites["site_id"], "S")
    assert saved.loc[new_id, ["kind", "response_class"]].tolist() == ["metro", 1]
    # Removing it again brings the figure back.
    app = run_app(
        PAGE,
        pp_view="whatif",
        lang="zh",
        pp_edit_layer="sites",
        pp_action="remove",
        pp_site=new_id,
    )
    assert metrics(app)["重点目标达标"] == f"{within / len(sites):.1%}"


def test_key_sites_by_response_class_are_counted_from_the_report(home: Path) -> None:
    store = GeoPackageStore(home / "sample.gpkg")
    graphs = network.street_graphs(store.read("streets"), crs=store.working_crs())
    sites = store.read("sites")
    report = coverage.coverage_report(graphs, store.read("posts"), sites=sites)
    app = run_app(PAGE, pp_view="coverage", lang="en")
    table = next(d.value for d in app.dataframe if "Reached in class" in d.value.columns)
    # Independently: each site's own time against its own class.
    times = report.sites.set_index("site_id")["time"] / 60
    for _, row in table.iterrows():
        c = int(row["Response class (min)"])
        ids = sites.loc[sites["response_class"] == c, "site_id"]
        assert row["Sites"] == len(ids)
        assert row["Reached in class"] == int((times.loc[ids] <= c).sum())
    assert table["Sites"].sum() == len(sites)


def test_service_areas_as_polygons_hold_the_reached_streets(home: Path) -> None:
    store = GeoPackageStore(home / "sample.gpkg")
    graphs = network.street_graphs(store.read("streets"), crs=store.working_crs())
    patrol = views.prepare(graphs, streets=store.read("streets"), sites=store.read("sites"))
    report = views.coverage(patrol, store.read("posts"), "posts")
    m = views.coverage_map(patrol, report, store.read("posts"), lang="en", polygons=True)
    html = m.get_root().render()
    assert "3-minute service area (polygon)" in html
    assert "Polygon" in html
    plain = views.coverage_map(patrol, report, store.read("posts"), lang="en").get_root().render()
    assert "service area (polygon)" not in plain
    app = run_app(PAGE, pp_view="coverage", lang="zh", pp_polygons=True)
    assert not app.exception


# --- key-site inspections ----------------------------------------------------------------------


def test_inspections_list_the_sites_no_fix_came_near(home: Path) -> None:
    import numpy as np
    from pyproj import Geod

    from gridmap.patrol import tracks

    store = GeoPackageStore(home / "sample.gpkg")
    sites, posts = store.read("sites"), store.read("posts")
    week = tracks.clean_track(tracks.synthetic_week(posts, sites, seed=0), mode="walk")[0]
    app = run_app(
        PAGE, pp_view="inspect", lang="en", pp_tracks_source="synthetic", pp_inspect_days=3
    )
    assert not app.error, [e.value for e in app.error]
    assert any("synthetic" in c.value for c in app.caption)
    table = next(d.value for d in app.dataframe if "Last visit" in d.value.columns)
    # Independently: geodesic distance of every fix to every site, last fix within 30 m.
    geod = Geod(ellps="WGS84")
    fx, fy = week.geometry.x.to_numpy(), week.geometry.y.to_numpy()
    now = week["time"].max()
    overdue = set()
    for sid, point in zip(sites["site_id"], sites.geometry, strict=True):
        _, _, d = geod.inv(np.full_like(fx, point.x), np.full_like(fy, point.y), fx, fy)
        near = week["time"][d <= 30.0]
        if not len(near) or (now - near.max()).total_seconds() / 86400 > 3:
            overdue.add(sid)
    assert set(table["Site"]) == overdue
    assert 0 < len(overdue) < len(sites)
    assert metrics(app)["Overdue"] == f"{len(overdue)} / {len(sites)}"


def test_inspections_read_uploaded_gpx_and_say_what_is_missing(home: Path) -> None:
    store = GeoPackageStore(home / "sample.gpkg")
    site = store.read("sites").set_index("site_id").geometry["S0001"]
    gpx = (
        '<?xml version="1.0"?><gpx version="1.1" creator="t" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
        + "".join(
            f'<trkpt lat="{site.y + i * 1e-5:.7f}" lon="{site.x:.7f}">'
            f"<time>2025-11-0{d}T10:0{i}:00Z</time></trkpt>"
            for d in (3, 9)
            for i in range(3)
        )
        + "</trkseg></trk></gpx>"
    )
    app = run_app(PAGE, pp_view="inspect", lang="zh", pp_tracks_source="upload")
    assert any("上传" in i.value for i in app.info)  # nothing shown until tracks come
    assert not app.dataframe
    from gridmap.patrol import tracks as tr_mod

    track = tr_mod.read_track(write(home / "u1.gpx", gpx))
    visits = views.site_visits(track, store.read("sites"))
    assert set(visits["site_id"]) == {"S0001"}
    status = views.inspections(store.read("sites"), visits, days=7)
    assert not status.set_index("site_id").loc["S0001", "overdue"]
    assert status["overdue"].sum() == len(status) - 1


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_new_click_lays_the_what_if_over_the_map_already_shown(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The map of the current coverage is rendered once; a click that moves the post again
    # sends only a layer (the moved post, its old place, the changed streets), so the
    # browser keeps its map and frame instead of loading ~0.9 MB again.
    import streamlit_folium

    rendered = []
    real = streamlit_folium.st_folium
    monkeypatch.setattr(
        streamlit_folium, "st_folium", lambda *a, **k: rendered.append(1) or real(*a, **k)
    )
    first = GeoPackageStore(home / "sample.gpkg").read("posts").geometry.iloc[0]
    app = run_app(PAGE, pp_view="whatif", pp_action="move", pp_post="P01", lang="en")
    app.session_state["pp_click"] = (round(first.x + 0.003, 6), round(first.y - 0.001, 6))
    app.run()
    assert not app.exception
    shown = len(rendered)
    moved_to = (round(first.x + 0.002, 6), round(first.y - 0.002, 6))
    app.session_state["pp_click"] = moved_to
    app.run()
    assert not app.exception
    assert len(rendered) == shown  # no map built or rendered for the second click
    held = app.session_state["pp_maps"]["pp_edit_map"]
    layer = held["overlay"][1]
    assert held["args"]["feature_group"] is None  # the map itself carries no what-if
    assert "radius: 9.0" in layer  # the moved post, large
    assert f"{moved_to[0]:.6f}".rstrip("0") in layer  # at the clicked place
    assert "old place" in layer  # its old place marked
    assert "dashArray" in layer


def test_a_removed_post_is_named_and_an_unchanged_figure_has_no_arrow(home: Path) -> None:
    app = run_app(PAGE, pp_view="whatif", pp_action="remove", pp_post="P02", lang="zh")
    assert not app.error, [e.value for e in app.error]
    assert any(c.value.startswith("预览：撤销 P02") for c in app.caption)
    # A changed figure keeps its arrow; an unchanged one (a post "moved" onto its own
    # place) is grey without one.
    changed = [m.proto for m in app.metric if m.proto.delta != "+0.0"]
    assert changed
    assert all(p.direction != MetricProto.MetricDirection.NONE for p in changed)
    own = GeoPackageStore(home / "sample.gpkg").read("posts").set_index("post_id")
    place = (own.geometry["P02"].x, own.geometry["P02"].y)
    app = run_app(
        PAGE, pp_view="whatif", pp_action="move", pp_post="P02", pp_click=place, lang="zh"
    )
    unchanged = [m.proto for m in app.metric]
    assert [p.delta for p in unchanged] == ["+0.0"] * 3
    assert all(p.direction == MetricProto.MetricDirection.NONE for p in unchanged)
    # The gaps table's unnamed streets read in Chinese.
    app = run_app(PAGE, pp_view="gaps", lang="zh")
    streets = app.dataframe[0].value
    assert "(unnamed)" not in set(streets.iloc[:, 0])
    assert "（无名道路）" in set(streets.iloc[:, 0])


def test_inspections_read_the_workspace_tracks_layer_first(home: Path) -> None:
    from gridmap.patrol import tracks

    store = GeoPackageStore(home / "sample.gpkg")
    sites, posts = store.read("sites"), store.read("posts")
    week = tracks.synthetic_week(posts, sites, seed=3)
    store.write(
        "tracks", week[["unit", "time", "geometry"]], author="test", message="a week of tracks"
    )
    # No source chosen: the layer is the default, and its visits are those counted.
    app = run_app(PAGE, pp_view="inspect", lang="zh", pp_inspect_days=3)
    assert not app.error, [e.value for e in app.error]
    assert widget(app, "pp_tracks_source").value == "layer"
    fixes = tracks.clean_track(store.read("tracks"), mode="car")[0]
    status = views.inspections(sites, views.site_visits(fixes, sites), days=3)
    overdue = int(status["overdue"].sum())
    assert metrics(app)["超期未巡查"] == f"{overdue} / {len(sites)}"
    # The uploader reads in Chinese (Streamlit's own words are replaced by CSS).
    widget(app, "pp_tracks_source").set_value("upload").run()
    assert any("选择文件" in h.proto.body for h in app.get("html"))


def test_the_what_if_layer_crosses_a_removed_post_and_redraws_only_changed_streets() -> None:
    import folium
    from streamlit_folium import _get_feature_group_string

    store = GeoPackageStore(views_sample())
    layers = {n: store.read(n) for n in ("streets", "sites", "incidents", "grids")}
    posts = store.read("posts")
    patrol = views.prepare(
        views.build_graphs(layers["streets"], crs=store.working_crs()), **layers, posts=posts
    )
    before = views.coverage(patrol, posts, "posts")
    edit = views.Edit("posts", "remove", "P02")
    result = views.edit_what_if(patrol, posts, "posts", edit, before=before)
    changed = views.changed_segments(before, result.change.after)
    assert 0 < len(changed) < before.streets["segment"].nunique()  # some, not all
    assert len(views.changed_segments(before, before)) == 0
    layer = views.what_if_overlay(patrol, before, result, edit, lang="en")
    host = folium.Map(location=[0, 0], zoom_start=1, tiles=None)
    script = _get_feature_group_string(layer, map=host, idx=0)
    assert "L.divIcon(" in script  # the cross
    assert "removed in this what-if" in script
    assert "radius: 9.0" not in script  # nothing added or moved
    p02 = posts.set_index("post_id").geometry["P02"]
    assert f"{p02.y:.4f}" in script  # at the removed post
