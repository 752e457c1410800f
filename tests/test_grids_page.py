"""The Grids page (网格调整): views, previews, commits with an editor name, plans, history."""

from __future__ import annotations

import re
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from app_pages._maps import overlay_script
from gridmap import ValidationError
from gridmap.grids import dissolve_level, views
from gridmap.grids.blocks import grid_blocks
from gridmap.store import GeoPackageStore, install_sample_workspace
from tests.test_app import run_app

PAGE = "app_pages/grids.py"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    monkeypatch.delenv("GRIDMAP_WORKSPACE", raising=False)
    install_sample_workspace(tmp_path / "sample.gpkg")
    return tmp_path


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> GeoPackageStore:
    path = tmp_path_factory.mktemp("sample") / "sample.gpkg"
    install_sample_workspace(path)
    return GeoPackageStore(path)


def _errors(app: object) -> list[str]:
    return [e.value for e in app.error]  # type: ignore[attr-defined]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("view", views.VIEWS)
def test_every_view_draws_in_both_languages(home: Path, view: str, lang: str) -> None:
    app = run_app(PAGE, grids_view=view, lang=lang)
    assert app.title[0].value == ("网格调整" if lang == "zh" else "Grids")
    assert not _errors(app)
    assert len(app.expander) >= 1  # the view's help


def test_the_table_has_the_workload_index(home: Path) -> None:
    app = run_app(PAGE, lang="en")
    table = next(d.value for d in app.dataframe if "Workload index" in d.value.columns)
    grids = GeoPackageStore(home / "sample.gpkg").read("grids")
    street = grids[grids["grid_code"].str.startswith(table["Grid code"].iloc[0][:9])]
    assert len(table) == len(street)
    assert table["Workload index"].mean() == pytest.approx(100, abs=0.5)
    assert {"Households", "Incidents, last 12 months", "Key sites", "Grid worker"} <= set(
        table.columns
    )


def _merge(app, codes: list[str]) -> None:  # type: ignore[no-untyped-def]
    app.multiselect(key="grids_merge_codes.zh").set_value(codes)
    app.button(key="grids_edit_submit").click().run()
    assert not app.exception, [e.value for e in app.exception]


def test_a_merge_is_previewed_then_committed_with_the_editor_name(home: Path) -> None:
    store = GeoPackageStore(home / "sample.gpkg")
    grids = store.read("grids")
    a, b = grids["grid_code"].iloc[0], grids["grid_code"].iloc[2]  # adjacent in the sample
    app = run_app(PAGE, grids_view="edit", grids_edit_kind="merge")
    _merge(app, [a, b])
    assert not _errors(app)
    codes = next(d.value for d in app.dataframe if "原编码" in d.value.columns)
    assert set(codes["原编码"]) >= {a, b}
    assert store.current_version("grids") == 1  # a preview writes nothing
    # Without an editor name the commit is refused, with the reason.
    app.button(key="grids_edit_commit").click().run()
    assert any("编辑人" in e for e in _errors(app))
    assert store.current_version("grids") == 1
    # With one, it is a new version by that editor; households are conserved.
    app.session_state["editor"] = "李四"
    app.button(key="grids_edit_commit").click().run()
    assert not app.exception
    assert store.current_version("grids") == 2
    last = store.history("grids")[-1]
    assert last.author == "李四"
    assert a in last.message
    after = store.read("grids")
    assert len(after) == len(grids) - 1
    assert after["households"].sum() == grids["households"].sum()
    assert any("第 2 版" in s.value for s in app.success)


def test_a_refused_merge_says_why(home: Path) -> None:
    grids = GeoPackageStore(home / "sample.gpkg").read("grids")
    app = run_app(PAGE, grids_view="edit", grids_edit_kind="merge")
    _merge(app, [grids["grid_code"].iloc[0], grids["grid_code"].iloc[1]])  # not adjacent
    assert any("无法调整" in e and "不相邻" in e for e in _errors(app)), _errors(app)
    _merge(app, [grids["grid_code"].iloc[0]])
    assert any("至少需要两个" in e for e in _errors(app))


def test_an_automatic_plan_is_compared_and_committed(home: Path) -> None:
    store = GeoPackageStore(home / "sample.gpkg")
    grids = store.read("grids")
    community = dissolve_level(grids, "community")["code"].iloc[0]
    app = run_app(
        PAGE,
        grids_view="auto",
        grids_auto_community=community,
        grids_auto_plans=2,
        editor="王五",
    )
    app.button(key="grids_auto_run").click().run()
    assert not app.exception
    assert not _errors(app)
    compared = next(d.value for d in app.dataframe if "现状" in d.value.columns)
    assert list(compared.columns) == ["现状", "方案 1", "方案 2"]
    assert "最大户数偏差（%）" in compared.index
    assert {"每名网格员事件数（近 12 个月）", "每个网格重点目标数"} <= set(compared.index)
    # Sites per grid, independently: the community's sites counted by a spatial join
    # (a site on a shared edge counts once).
    sites = store.read("sites")
    area = grids[grids["grid_code"].str.startswith(community)]
    inside = sites.sjoin(area[["geometry"]], predicate="intersects")
    per_grid = compared.loc["每个网格重点目标数", "现状"]
    assert per_grid == pytest.approx(inside.index.nunique() / len(area), abs=0.01)
    assert any(e.label == "导出此方案" for e in app.expander)
    app.button(key="grids_auto_take").click().run()
    app.button(key="grids_auto_commit").click().run()
    assert not app.exception
    after = store.read("grids")
    assert store.current_version("grids") == 2
    assert after["households"].sum() == pytest.approx(grids["households"].sum(), abs=5)
    assert after["grid_code"].is_unique


def test_history_highlights_changes_and_reverts(home: Path) -> None:
    store = GeoPackageStore(home / "sample.gpkg")
    grids = store.read("grids")
    store.write("grids", grids.iloc[:20], message="a planner's mistake")
    app = run_app(PAGE, grids_view="history", editor="张三", grids_history_version=1)
    app.button(key="grids_restore").click().run()
    assert not app.exception
    assert len(store.read("grids")) == 30
    # Byte for byte: the restored geometries are version 1's WKB, in the same order.
    restored, first = store.read("grids"), store.read("grids", version=1)
    assert restored.geometry.to_wkb().tolist() == first.geometry.to_wkb().tolist()
    assert restored.drop(columns="geometry").equals(first.drop(columns="geometry"))
    # Version 2 in the history: its changes highlighted, downloadable with its code mapping.
    app.selectbox(key="grids_history_version.zh").set_value(2).run()
    assert any(e.label == "导出此方案" for e in app.expander)
    assert any("改变的网格" in c.value for c in app.caption)
    last = store.history("grids")[-1]
    assert (last.action, last.based_on, last.author) == ("restore", 1, "张三")


def test_a_merge_previews_within_300_ms(sample: GeoPackageStore) -> None:
    grids = sample.read("grids")
    blocks = grid_blocks(grids, sample.read("streets"), buildings=sample.read("buildings"))
    codes = list(grids["grid_code"].iloc[[0, 2]])  # adjacent in the sample
    best = min(_timed(lambda: views.edit("merge", grids, blocks, codes=codes)) for _ in range(3))
    assert best < 0.3


def _timed(function, *, cpu: bool = False) -> float:  # type: ignore[no-untyped-def]
    clock = time.process_time if cpu else time.perf_counter
    started = clock()
    function()
    return clock() - started


def test_workload_index_is_100_on_average() -> None:
    table = pd.DataFrame({"households": [100, 300], "incidents": [0, 0], "sites": [1, 3]})
    index = views.workload_index(table, {"households": 0.5, "incidents": 0.3, "sites": 0.2})
    assert index.tolist() == [50.0, 150.0]  # incidents all zero: not counted
    assert views.workload_index(table, {"households": 0}).tolist() == [100.0, 100.0]


def test_a_typed_line_is_read_or_refused() -> None:
    line = views.parse_line("24.93,60.16\n24.94 60.17;", "EPSG:4326")
    assert line.equals(shapely.LineString([(24.93, 60.16), (24.94, 60.17)]))
    with pytest.raises(ValidationError, match="two points"):
        views.parse_line("24.93,60.16", "EPSG:4326")
    with pytest.raises(ValidationError, match="cannot read"):
        views.parse_line("24.93,north; 1,2", "EPSG:4326")


def test_area_code_and_changed_grids() -> None:
    codes = ["990101002001001", "990101001001001", "990101001002001"]
    assert views.area_code("", codes) == "990101001"
    assert views.area_code("990101001002", codes) == "990101001002"
    assert views.area_code("990101001002001", codes) == "990101001002"
    square = shapely.box(0, 0, 100, 100)
    before = gpd.GeoDataFrame(
        {"grid_code": ["a", "b"]}, geometry=[square, shapely.box(100, 0, 200, 100)], crs=32635
    )
    after = gpd.GeoDataFrame(
        {"grid_code": ["a", "c"]}, geometry=[square, shapely.box(100, 0, 210, 100)], crs=32635
    )
    assert views.changed_grids(before, after) == ["c"]


# -- the map: a line drawn with Leaflet.draw, blocks clicked ----------------------------------
#
# AppTest runs no browser, so here the maps are replaced by stand-ins that answer what the
# browser's component sends back: st_folium's dicts for the maps that only show, and for
# the edit maps (app_pages/_edit_map) the lines drawn (``all_drawings`` here, Leaflet.draw's
# features) and a click (its feature's key, once). tests/test_e2e_grids.py draws and clicks
# with the mouse in Chromium.


@pytest.fixture
def browser_replies(monkeypatch: pytest.MonkeyPatch) -> dict:
    """What the "browser" answers per map key; the maps the page drew, by key."""
    import streamlit_folium

    from app_pages import _edit_map

    replies: dict = {"maps": {}, "overlays": {}}

    def st_folium(fmap, *, key=None, returned_objects=None, feature_group_to_add=None, **_):  # type: ignore[no-untyped-def]
        replies["maps"][key] = fmap
        replies["overlays"][key] = overlay_script(feature_group_to_add or [])
        return replies.get(key, dict.fromkeys(returned_objects or []))

    def show(key, base, *, overlay, **_):  # type: ignore[no-untyped-def]
        replies["maps"][key] = base
        replies["overlays"][key] = overlay or ""

    def sent(key):  # type: ignore[no-untyped-def]
        reply = replies.get(key) or {}
        return {"drawings": reply.get("all_drawings"), "clicked": reply.get("clicked")}

    def forget_click(key):  # type: ignore[no-untyped-def]
        (replies.get(key) or {}).pop("clicked", None)

    monkeypatch.setattr(streamlit_folium, "st_folium", st_folium)
    monkeypatch.setattr(_edit_map, "show", show)
    monkeypatch.setattr(_edit_map, "sent", sent)
    monkeypatch.setattr(_edit_map, "forget_click", forget_click)
    return replies


def _line_across(grid: shapely.Geometry) -> list[dict]:
    """A north-south line through the middle of `grid` (WGS-84), as Leaflet.draw sends it."""
    west, south, east, north = grid.bounds
    x = (west + east) / 2
    coords = [[x, south - 0.0004], [x, (south + north) / 2], [x, north + 0.0004]]
    return [
        {
            "type": "Feature",
            "properties": {},
            "geometry": {"type": "LineString", "coordinates": coords},
        }
    ]


def _splittable(grids: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame) -> tuple[str, list[dict]]:
    """A grid of the first street a north-south line drawn through the middle of one of
    them splits (the grid the page picks: the line may cross a neighbour too), the line."""
    street = grids["grid_code"].iloc[0][:9]
    for code, geom in zip(grids["grid_code"], grids.geometry, strict=True):
        if not code.startswith(street):
            continue
        drawing = _line_across(geom)
        try:
            preview = views.drawn_split(grids, blocks, drawing, code=street)
        except ValidationError:
            continue
        if preview is not None and "split" in set(preview.codes["change"]):
            split = preview.codes.loc[preview.codes["change"] == "split", "old_code"]
            return str(split.iloc[0]), drawing
    raise AssertionError("no grid of the sample can be split by a line through its middle")


@pytest.fixture(scope="module")
def sample_blocks(sample: GeoPackageStore) -> gpd.GeoDataFrame:
    return grid_blocks(
        sample.read("grids"), sample.read("streets"), buildings=sample.read("buildings")
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_line_drawn_on_the_map_splits_a_grid_and_is_committed(
    home: Path, browser_replies: dict, sample: GeoPackageStore, sample_blocks, lang: str
) -> None:
    store = GeoPackageStore(home / "sample.gpkg")
    grids = store.read("grids")
    code, drawing = _splittable(grids, sample_blocks)
    app = run_app(PAGE, grids_view="edit", grids_edit_kind="draw", lang=lang)
    hint = "尚未画线" if lang == "zh" else "No line yet"
    assert any(hint in i.value for i in app.info)
    # The draw map offers Leaflet.draw, from the app's own files (what the browser gets).
    draw_map = browser_replies["maps"]["grids_draw_map"]
    assert "L.Control.Draw" in draw_map["script"]
    assert "/app/static/vendor/leaflet-draw/leaflet.draw.js" in draw_map["js_links"]
    links = draw_map["js_links"] + draw_map["css_links"]
    assert all(link.startswith("/app/static/vendor/") for link in links), links
    assert not re.findall(r"""(?:src|href)=["'](?:https?:)?//""", draw_map["header"])
    # The browser sends the line: the preview follows in the same run.
    browser_replies["grids_draw_map"] = {"all_drawings": drawing}
    app.run()
    assert not app.exception
    assert not _errors(app), _errors(app)
    old = "原编码" if lang == "zh" else "Old code"
    table = next(d.value for d in app.dataframe if old in d.value.columns)
    assert code in set(table[old])
    # The preview is laid over the draw map: the two halves red, nothing else.
    overlay = browser_replies["overlays"]["grids_draw_map"]
    assert overlay.count('"fill": "#d7301f"') == 2
    assert store.current_version("grids") == 1
    app.session_state["editor"] = "李四"
    app.button(key="grids_edit_commit").click().run()
    assert not app.exception
    assert store.current_version("grids") == 2
    after = store.read("grids")
    assert len(after) == len(grids) + 1
    assert after["households"].sum() == grids["households"].sum()
    # Independently: two grids replaced `code`, one on each side of the line.
    metric_before, metric_after = grids.to_crs(32635), after.to_crs(32635)
    old_grid = metric_before.loc[grids["grid_code"] == code].geometry.iloc[0]
    unchanged = metric_after.geometry.apply(
        lambda g: any(g.equals(o) for o in metric_before.geometry)
    )
    new = metric_after[~unchanged.to_numpy()]
    new = new[(new.intersection(old_grid).area > 1).to_numpy()]
    assert len(new) == 2
    # They cover the old grid (and the sample's gaps its blocks filled), overlapping nothing.
    assert old_grid.difference(shapely.union_all(new.geometry.to_numpy())).area < 1
    assert metric_after.area.sum() == pytest.approx(
        shapely.union_all(metric_after.geometry.to_numpy()).area, rel=1e-9
    )
    new = after.loc[new.index]
    x = drawing[0]["geometry"]["coordinates"][0][0]
    sides = sorted(g.centroid.x < x for g in new.geometry)
    assert sides == [False, True]
    assert store.history("grids")[-1].author == "李四"


def test_a_line_drawn_off_the_grids_is_refused_with_the_reason(
    home: Path, browser_replies: dict
) -> None:
    far = [
        {
            "type": "Feature",
            "properties": {},
            "geometry": {"type": "LineString", "coordinates": [[10.0, 50.0], [10.01, 50.01]]},
        }
    ]
    browser_replies["grids_draw_map"] = {"all_drawings": far}
    app = run_app(PAGE, grids_view="edit", grids_edit_kind="draw", lang="en")
    assert any("Refused" in e and "runs through none" in e for e in _errors(app)), _errors(app)
    assert GeoPackageStore(home / "sample.gpkg").current_version("grids") == 1


def _movable(grids: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame) -> tuple[int, str]:
    """A block of the first street that can move to a neighbouring grid (found by trying)."""
    street = grids["grid_code"].iloc[0][:9]
    mine = blocks[blocks["grid_code"].str.startswith(street)]
    for block in mine["block_id"]:
        for target in views.neighbour_grids(mine, [int(block)]):
            try:
                views.edit("move", grids, blocks, block_ids=[int(block)], to_code=target)
            except ValidationError:
                continue
            return int(block), target
    raise AssertionError("no block of the sample can move")


def _click(replies: dict, block: int) -> None:
    replies["grids_blocks_map"] = {"clicked": {"key": str(block), "lat": 0.0, "lng": 0.0}}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_blocks_clicked_on_the_map_move_to_a_neighbouring_grid(
    home: Path, browser_replies: dict, sample_blocks, lang: str
) -> None:
    store = GeoPackageStore(home / "sample.gpkg")
    grids = store.read("grids")
    block, target = _movable(grids, sample_blocks)
    app = run_app(PAGE, grids_view="edit", grids_edit_kind="move", lang=lang, editor="王五")
    picked = "已选街区：{n} 个" if lang == "zh" else "Blocks picked: {n}"
    assert any(picked.format(n=0) == c.value for c in app.caption)
    # A click picks the block (and draws it red); a second click on it drops it.
    base = browser_replies["maps"]["grids_blocks_map"]
    _click(browser_replies, block)
    app.run()
    assert app.session_state["grids_move_blocks"] == [block]
    assert any(picked.format(n=1) == c.value for c in app.caption)
    # The picked block is laid over the blocks map in red (the map itself is not rebuilt),
    # and with it at once the preview of its move to the first grid bordering it.
    assert browser_replies["maps"]["grids_blocks_map"] is base
    fills = browser_replies["overlays"]["grids_blocks_map"]
    assert f'"key": "{block}"' in fills
    assert "#d7301f" in fills
    # The target is the one chosen (at first the area's first grid) when it borders the
    # block, else the first grid bordering it.
    street = grids["grid_code"].iloc[0][:9]
    bordering = views.neighbour_grids(
        sample_blocks[sample_blocks["grid_code"].str.startswith(street)], [block]
    )
    chosen = views.area_grids(grids, street)["grid_code"].astype(str).iloc[0]
    first = chosen if chosen in bordering else bordering[0]
    held = app.session_state["grids_preview"]["preview"]
    assert held.message.endswith(f"1 → {first}")
    assert fills.count('"fill": "#d7301f"') == 1 + len(held.changed)
    assert app.button(key="grids_edit_commit") is not None
    _click(browser_replies, block)
    app.run()
    assert app.session_state["grids_move_blocks"] == []
    assert "grids_preview" not in app.session_state  # the move dropped with its block
    # Pick it again: only grids bordering the block are offered as targets.
    _click(browser_replies, block)
    app.run()
    own = sample_blocks.loc[sample_blocks["block_id"] == block, "grid_code"].iloc[0]
    geom = sample_blocks.loc[sample_blocks["block_id"] == block].geometry.iloc[0]
    others = sample_blocks[sample_blocks["grid_code"] != own]
    shared = others.geometry.intersection(geom.boundary).length
    bordering = sorted(set(others.loc[(shared > 0.01).to_numpy(), "grid_code"]))
    box = app.selectbox(key=f"grids_move_to.{lang}")
    assert sorted(box.options) == sorted(
        next(o for o in box.options if c[-6:] in o) for c in bordering
    )
    box.set_value(target).run()  # the preview follows the target: no button
    assert not _errors(app), _errors(app)
    assert app.session_state["grids_preview"]["preview"].message.endswith(f"1 → {target}")
    app.button(key="grids_edit_commit").click().run()
    assert store.current_version("grids") == 2
    after = store.read("grids")
    assert after["households"].sum() == grids["households"].sum()
    # The block now lies inside the grid that took it (codes may be renumbered).
    inside = gpd.GeoSeries([geom], crs=sample_blocks.crs).to_crs(4326).representative_point()
    holder = after[after.contains(inside.iloc[0])]
    target_area = grids.loc[grids["grid_code"] == target].geometry.iloc[0]
    assert len(holder) == 1
    assert holder.geometry.iloc[0].intersection(target_area).area > 0


def test_a_drawn_split_previews_within_300_ms(sample: GeoPackageStore, sample_blocks) -> None:
    grids = sample.read("grids")
    _, drawing = _splittable(grids, sample_blocks)
    street = grids["grid_code"].iloc[0][:9]
    # CPU time of this process: on a shared machine the wall clock also counts others' work.
    best = min(
        _timed(lambda: views.drawn_split(grids, sample_blocks, drawing, code=street), cpu=True)
        for _ in range(3)
    )
    assert best < 0.3


def test_a_drawn_line_reruns_the_edit_view_cheaply_with_the_preview_over_the_map(
    home: Path, sample_blocks
) -> None:
    """Issue #9: click → preview took 1.35–5.5 s, the page rebuilding its maps every rerun.

    The page runs with the real edit map (app_pages/_edit_map) here. The line comes as the
    component keeps it (its ``drawings`` state under the map's key); the rerun makes the
    preview and lays it over the map built in the run before, without building or
    rendering that map again. Its CPU time is bounded.
    """
    store = GeoPackageStore(home / "sample.gpkg")
    _, drawing = _splittable(store.read("grids"), sample_blocks)
    app = run_app(PAGE, grids_view="edit", grids_edit_kind="draw")
    app.run()  # blocks cached, the draw map kept
    assert not app.exception, [e.value for e in app.exception]
    held = app.session_state["grids_maps"]["grids_draw_map"]
    base = held["base"]
    assert "L.Control.Draw" in base["script"]
    assert held["overlay"][1] is None
    app.session_state["grids_draw_map"] = {"drawings": drawing}
    started = time.process_time()  # CPU: others' work on a shared machine is not ours
    app.run()
    cpu = time.process_time() - started
    assert not app.exception, [e.value for e in app.exception]
    held = app.session_state["grids_maps"]["grids_draw_map"]
    assert held["base"] is base  # the map on screen stays; only the overlay is new
    assert held["overlay"][1].count('"fill": "#d7301f"') == 2
    assert any("预览用时" in c.value for c in app.caption)
    print(f"\ndrawn split rerun, CPU: {cpu:.2f} s")
    assert cpu < 1.0


def test_what_the_map_sends_back_is_read() -> None:
    square = shapely.box(0, 0, 100, 100)
    A, B = "990101001001001", "990101001001002"
    blocks = gpd.GeoDataFrame(
        {"block_id": [7, 8, 9], "grid_code": [A, A, B], "households": [1, 2, 3]},
        geometry=[square, shapely.box(100, 0, 200, 100), shapely.box(200, 0, 300, 100)],
        crs=32635,
    )
    # Drawings: only the last LineString counts; polygons and nothing are ignored.
    assert views.drawn_line(None, 32635) is None
    polygon = {"geometry": {"type": "Polygon", "coordinates": []}}
    assert views.drawn_line([polygon], 32635) is None
    line = {"geometry": {"type": "LineString", "coordinates": [[27, 0.0001], [27, 0.0002]]}}
    got = views.drawn_line([line, polygon], 32635)
    assert got.coords[0] == pytest.approx((500000.0, 11.05), abs=0.1)  # UTM 35N, 27°E
    with pytest.raises(ValidationError, match="two points"):
        views.drawn_line(
            [{"geometry": {"type": "LineString", "coordinates": [[27, 0], [27, 0]]}}], 32635
        )
    # Clicks: by the feature's key, else by where the click fell.
    assert views.clicked_block(blocks, {"properties": {"key": "8"}}) == 8
    lon, lat = gpd.GeoSeries([shapely.Point(250, 50)], crs=32635).to_crs(4326).iloc[0].coords[0]
    assert views.clicked_block(blocks, None, {"lat": lat, "lng": lon}) == 9
    assert views.clicked_block(blocks, {"properties": {"key": "99"}}) is None
    assert views.toggle([7], 8) == [7, 8]
    assert views.toggle([7, 8], 7) == [8]
    assert views.toggle([7], None) == [7]
    # Neighbours share an edge; a block's own grid is not one.
    assert views.neighbour_grids(blocks, [8]) == [B]
    assert views.neighbour_grids(blocks, [7]) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_grid_is_split_along_chosen_streets(
    home: Path, sample: GeoPackageStore, sample_blocks, lang: str
) -> None:
    store = GeoPackageStore(home / "sample.gpkg")
    grids = store.read("grids")
    streets = store.read("streets")
    street = grids["grid_code"].iloc[0][:9]
    found = None
    for code in views.area_grids(grids, street)["grid_code"]:
        row = views.area_grids(grids, code)
        for name in views.street_names(streets, row):
            segments = views.street_segments(streets, [name], row, sample_blocks.crs)
            try:
                expected = views.edit(
                    "split_streets", grids, sample_blocks, codes=[code], segments=segments
                )
            except ValidationError:
                continue
            found = code, name
            break
        if found:
            break
    assert found is not None
    code, name = found
    app = run_app(
        PAGE, grids_view="edit", grids_edit_kind="split_streets", grids_split_grid=code, lang=lang
    )
    app.multiselect(key=f"grids_split_streets.{lang}").set_value([name])
    app.button(key="grids_edit_submit").click().run()
    assert not app.exception
    assert not _errors(app), _errors(app)
    app.session_state["editor"] = "赵六"
    app.button(key="grids_edit_commit").click().run()
    after = store.read("grids")
    assert len(after) == len(expected.grids) > len(grids)
    assert after["households"].sum() == grids["households"].sum()
    # The new boundary runs along the street: the edges the new grids share lie mostly
    # within a metre of the chosen street
    new_codes = set(expected.codes.loc[expected.codes["change"] == "split", "new_code"])
    pieces = after[after["grid_code"].isin(new_codes)].to_crs(sample_blocks.crs)
    street_lines = shapely.union_all(
        streets[streets["name"] == name].to_crs(sample_blocks.crs).geometry.to_numpy()
    )
    geoms = pieces.geometry.to_numpy()
    shared = shapely.union_all(
        [
            geoms[i].boundary.intersection(geoms[j].buffer(0.5))
            for i in range(len(geoms))
            for j in range(i)
        ]
    )
    assert len(geoms) == len(new_codes) >= 2, (new_codes, sorted(after["grid_code"]))
    assert shared.length > 10
    # (edges are separated where they run along the street for at least half their length)
    assert shared.intersection(street_lines.buffer(1.0)).length >= 0.8 * shared.length


def test_a_plan_downloads_with_its_code_mapping(tmp_path: Path, sample: GeoPackageStore) -> None:
    from gridmap.grids.exports import plan_file

    grids = sample.read("grids")
    area = views.area_grids(grids, grids["grid_code"].iloc[0][:12])
    name, data = plan_file(area, before=area, fmt="gpkg", name="p")
    path = tmp_path / name
    path.write_bytes(data)
    import pyogrio

    mapping = pyogrio.read_dataframe(path, layer="code_mapping")
    # Against itself every grid maps onto its own code, whole.
    assert (mapping["old_code"] == mapping["new_code"]).all()
    assert sorted(mapping["old_code"]) == sorted(area["grid_code"])
    assert mapping["share_of_new"].min() == pytest.approx(1.0)
    name, data = plan_file(area, before=area, fmt="geojson")
    assert name == "grids_plan.geojson"
    assert b'"old_codes"' in data
    with pytest.raises(ValidationError, match="`fmt` must be one of"):
        plan_file(area, before=area, fmt="kml")


def test_a_street_split_of_a_grid_in_pieces_divides_only_the_piece_it_cuts() -> None:
    from gridmap.grids.edits import grids_from_blocks, split_grid_along_streets

    x, y = "990101001001001", "990101001001002"
    # Grid x is in two pieces (blocks 0-1 and block 3), grid y lies between them.
    blocks = gpd.GeoDataFrame(
        {"block_id": [0, 1, 2, 3], "grid_code": [x, x, y, x], "households": [10, 20, 30, 40]},
        geometry=[shapely.box(i * 100, 0, (i + 1) * 100, 100) for i in range(4)],
        crs=32650,
    )
    grids = grids_from_blocks(blocks)
    street = [shapely.LineString([(100, -10), (100, 110)])]
    result = split_grid_along_streets(grids, blocks, x, street)
    # Two grids from x, not three: the uncut piece (block 3) stays with one of them.
    assert len(result.grids) == 3
    sizes = sorted(result.grids["households"])
    assert sizes == [20, 30, 50]
    # A street along no edge between x's blocks divides nothing: refused, not a false split
    # into x's existing pieces.
    with pytest.raises(ValidationError, match="do not divide"):
        split_grid_along_streets(grids, blocks, x, [shapely.LineString([(300, -10), (300, 110)])])


def test_map_edits_survive_language_switches(
    home: Path, browser_replies: dict, sample_blocks, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1.element_tree import Radio, Selectbox

    from tests.test_app_languages import BrowserMemory, switch_language

    memory = BrowserMemory()  # select widgets send back the labels they showed, as a browser
    for cls in (Selectbox, Radio):
        monkeypatch.setattr(cls, "_widget_state", property(memory.widget_state))
    grids = GeoPackageStore(home / "sample.gpkg").read("grids")
    # A drawn split's preview stays through a switch.
    code, drawing = _splittable(grids, sample_blocks)
    browser_replies["grids_draw_map"] = {"all_drawings": drawing}
    app = run_app(PAGE, grids_view="edit", grids_edit_kind="draw")
    assert any("原编码" in d.value.columns for d in app.dataframe)
    switch_language(app, "en")
    table = next(d.value for d in app.dataframe if "Old code" in d.value.columns)
    assert code in set(table["Old code"])
    assert any(c.value.startswith(f"Splitting grid {code}") for c in app.caption)
    # Picked blocks stay picked: a language switch is no click on the map.
    block, _ = _movable(grids, sample_blocks)
    app = run_app(PAGE, grids_view="edit", grids_edit_kind="move")
    _click(browser_replies, block)
    app.run()
    for language, picked in (("en", "Blocks picked: 1"), ("zh", "已选街区：1 个")):
        switch_language(app, language)
        assert app.session_state["grids_edit_kind"] == "move"
        assert app.multiselect(key=f"grids_move_blocks.{language}").value == [block]
        assert any(c.value == picked for c in app.caption)
        assert app.session_state["grids_move_blocks"] == [block]
