"""Overview figures cross-checked against geopandas.sjoin and plain pandas filters."""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal

from gridmap import ValidationError
from gridmap.datasets import get_path
from gridmap.grids import dissolve_level
from gridmap.overview import (
    build_overview,
    grid_table,
    kpi_table,
    overview_map,
    reference_time,
    workspace_credit,
)
from gridmap.store import GeoPackageStore


@pytest.fixture(scope="module")
def sample() -> dict[str, gpd.GeoDataFrame]:
    store = GeoPackageStore(get_path("helsinki"), create=False)
    layers = {name: store.read(name) for name in store.layers()}
    layers["crs"] = store.working_crs()  # type: ignore[assignment]
    return layers


def window(incidents: pd.DataFrame, now: pd.Timestamp, start: int, end: int) -> pd.DataFrame:
    t = incidents["occurred_at"]
    return incidents[(t > now - pd.Timedelta(days=end)) & (t <= now - pd.Timedelta(days=start))]


def test_whole_street_office(sample) -> None:  # type: ignore[no-untyped-def]
    ov = build_overview(sample["grids"], sample["incidents"], metric_crs=sample["crs"])
    assert ov.now == pd.Timestamp("2026-11-01")  # the day after the last synthetic incident
    assert ov.now == reference_time(sample["incidents"])
    assert ov.households == sample["grids"]["households"].sum()
    current = window(sample["incidents"], ov.now, 0, 30)
    previous = window(sample["incidents"], ov.now, 30, 60)
    kpis = ov.kpis
    assert kpis.loc["total", "current"] == len(current)
    assert kpis.loc["total", "previous"] == len(previous)
    assert kpis.loc["theft", "current"] == (current["category"] == "theft").sum()
    # Per-grid counts against an independent spatial join.
    joined = gpd.sjoin(current, sample["grids"][["grid_code", "geometry"]], predicate="within")
    expected = joined["grid_code"].value_counts()
    got = ov.grids.set_index("grid_code")["incidents"]
    pd.testing.assert_series_equal(
        got[got > 0].sort_index(), expected.sort_index(), check_names=False
    )
    assert ov.cells["count"].sum() == len(current)


def test_community_area(sample) -> None:  # type: ignore[no-untyped-def]
    grids = sample["grids"]
    community = grids["grid_code"].str.slice(0, 12).iloc[0]
    ov = build_overview(grids, sample["incidents"], metric_crs=sample["crs"], area_prefix=community)
    members = grids[grids["grid_code"].str.startswith(community)]
    assert len(ov.grids) == len(members)
    assert ov.households == members["households"].sum()
    current = window(sample["incidents"], ov.now, 0, 30)
    inside = gpd.sjoin(current, members[["geometry"]], predicate="within")
    assert ov.kpis.loc["total", "current"] == len(inside)
    assert ov.grids["incidents"].sum() == len(inside)
    with pytest.raises(ValidationError, match="no grid code starts with"):
        build_overview(grids, sample["incidents"], metric_crs=sample["crs"], area_prefix="123")


def test_kpi_table_is_translated(sample) -> None:  # type: ignore[no-untyped-def]
    ov = build_overview(sample["grids"], sample["incidents"], metric_crs=sample["crs"])
    zh = kpi_table(ov, "zh")
    assert zh.columns[0] == "类别"
    assert "盗窃" in zh["类别"].tolist()
    assert zh["类别"].iloc[-1] == "合计"
    assert "Theft" in kpi_table(ov, "en")["Category"].tolist()


def test_map_layers_legends_and_amap_shift(sample) -> None:  # type: ignore[no-untyped-def]
    ov = build_overview(sample["grids"], sample["incidents"], metric_crs=sample["crs"])
    layers = {k: sample[k] for k in ("sites", "posts", "streets", "buildings")}
    html = overview_map(ov, lang="en", colour_by="incidents", **layers).get_root().render()
    assert "Incidents per grid (last 30 days)" in html
    assert "tile.openstreetmap.org" not in html  # offline vector basemap by default
    assert "Key sites and posts" in html
    assert "Sentinel posts" in html
    no_posts = overview_map(ov, lang="en", sites=sample["sites"]).get_root().render()
    assert "Key sites and posts" in no_posts
    assert "Sentinel posts" not in no_posts  # the legend lists only what the map shows
    amap = overview_map(ov, lang="zh", basemap="amap", **layers)
    assert amap.gridmap_shift == "gcj02"
    assert "autonavi" in amap.get_root().render()
    with pytest.raises(ValidationError, match="`colour_by`"):
        overview_map(ov, lang="zh", colour_by="crime")  # type: ignore[arg-type]


def test_cells_mode_draws_outlines_and_labels_synthetic_data(sample) -> None:  # type: ignore[no-untyped-def]
    ov = build_overview(sample["grids"], sample["incidents"], metric_crs=sample["crs"])
    html = overview_map(ov, lang="zh", colour_by="cells", synthetic=True).get_root().render()
    assert "每格事件数" in html  # the cells legend
    assert "网格户数" not in html  # grids are outlines only, without a legend
    assert "合成数据" in html
    assert "fillOpacity: 0.0" in html


def test_nothing_mutates_the_layers_it_is_given(sample) -> None:  # type: ignore[no-untyped-def]
    # The app shares one cached frame per layer version between sessions.
    names = ("grids", "incidents", "sites", "posts", "streets", "buildings")
    before = {name: sample[name].copy() for name in names}
    ov = build_overview(sample["grids"], sample["incidents"], metric_crs=sample["crs"])
    for colour_by in ("households", "incidents", "cells"):
        overview_map(
            ov, lang="zh", colour_by=colour_by, **{n: sample[n] for n in names[2:]}
        ).get_root().render()
    dissolve_level(sample["grids"], "community")
    for name in names:
        assert_geodataframe_equal(sample[name], before[name])


# -- a workspace's own first data: layers and columns missing ---------------------------


def _keys(ov) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.key for m in ov.missing]


def test_without_grids_every_incident_counts_in_cells(sample) -> None:  # type: ignore[no-untyped-def]
    incidents = sample["incidents"]
    for no_grids in (None, sample["grids"].iloc[:0]):
        ov = build_overview(no_grids, incidents, metric_crs=sample["crs"])
        current = window(incidents, ov.now, 0, 30)
        assert ov.kpis.loc["total", "current"] == len(current)
        assert ov.kpis.loc["total", "previous"] == len(window(incidents, ov.now, 30, 60))
        assert ov.cells["count"].sum() == len(current)
        assert (ov.has_grids, ov.households, ov.population) == (False, None, None)
        assert ov.colour_choices == ["cells"]
        assert _keys(ov) == ["overview_no_grids"]
        assert "Data page" in ov.missing[0]
        assert "--layer grids" in ov.missing[0]
    with pytest.raises(ValidationError, match="needs grids"):
        build_overview(None, incidents, metric_crs=sample["crs"], area_prefix="990101")


def test_map_without_grids_shows_what_exists_framed_on_it(sample) -> None:  # type: ignore[no-untyped-def]
    ov = build_overview(None, sample["incidents"], metric_crs=sample["crs"])
    layers = {k: sample[k] for k in ("sites", "posts", "streets", "buildings")}
    m = overview_map(ov, lang="en", **layers)
    html = m.get_root().render()
    assert "Incidents per cell" in html
    assert "Key sites and posts" in html
    # No raw incident reaches the browser: the only points drawn are sites and posts.
    features = [
        f for c in m._children.values() if isinstance(c, folium.GeoJson) for f in c.data["features"]
    ]
    points = sum(f["geometry"]["type"] == "Point" for f in features)
    assert points == len(sample["sites"]) + len(sample["posts"])
    assert len(features) < len(sample["incidents"]) / 10
    # Framed on what is drawn: the fitted bounds hold the cells, sites and posts.
    fit = next(c for c in m._children.values() if isinstance(c, folium.map.FitBounds))
    (s, w), (n, e) = fit.bounds
    for layer in (ov.cells, sample["sites"], sample["posts"]):
        west, south, east, north = layer.total_bounds
        assert w <= west + 1e-6
        assert s <= south + 1e-6
        assert e >= east - 1e-6
        assert n >= north - 1e-6
    # Only sites: framed on the sites.
    only_sites = overview_map(
        build_overview(None, None, metric_crs=sample["crs"]), lang="zh", sites=sample["sites"]
    )
    assert "重点目标" in only_sites.get_root().render()
    with pytest.raises(ValidationError, match="Nothing to draw"):
        overview_map(build_overview(None, None, metric_crs=sample["crs"]), lang="en")


def test_grids_without_optional_columns(sample) -> None:  # type: ignore[no-untyped-def]
    bare = sample["grids"][["grid_code", "geometry"]]
    ov = build_overview(bare, sample["incidents"], metric_crs=sample["crs"])
    assert ov.households is None
    assert ov.population is None
    assert ov.colour_choices == ["incidents", "cells"]
    assert _keys(ov) == ["overview_no_households"]
    sites = sample["sites"][["site_id", "geometry"]]
    posts = sample["posts"][["post_id", "geometry"]]
    for colour_by in ov.colour_choices:
        html = overview_map(ov, lang="zh", colour_by=colour_by, sites=sites, posts=posts)
        assert "户数" not in html.get_root().render()
    with pytest.raises(ValidationError, match="not in this data"):
        overview_map(ov, lang="zh", colour_by="households")
    assert list(grid_table(ov, "en").columns) == ["Grid code", "Incidents, last 30 days"]
    full = build_overview(sample["grids"], sample["incidents"], metric_crs=sample["crs"])
    assert full.colour_choices[0] == "households"
    assert "Households" in grid_table(full, "en").columns


def test_own_categories_are_counted_and_shown_as_written(sample) -> None:  # type: ignore[no-untyped-def]
    incidents = sample["incidents"].copy()
    incidents.loc[incidents.index[-5:], "category"] = "抢夺"
    ov = build_overview(sample["grids"], incidents, metric_crs=sample["crs"])
    for lang in ("zh", "en"):
        table = kpi_table(ov, lang)
        labels = table.iloc[:, 0].tolist()
        assert "抢夺" in labels
        row = table[table.iloc[:, 0] == "抢夺"].iloc[0]
        assert row.iloc[1] == ov.kpis.loc["抢夺", "current"] == 5


def test_the_map_credits_the_workspace_not_openstreetmap() -> None:
    assert workspace_credit({"credit": "朝阳区综治中心"}, "zh") == "朝阳区综治中心"
    assert workspace_credit({"name": "朝阳"}, "en") == "Data: 朝阳"
    assert workspace_credit({}, "zh", name="district-b") == "数据：district-b"
    assert workspace_credit({}, "zh") is None
    sample_settings = {"attribution": "© OpenStreetMap contributors, ODbL"}
    assert "OpenStreetMap" in (workspace_credit(sample_settings, "zh") or "")


def test_change_against_an_empty_previous_period_reads_new_or_dash(sample) -> None:  # type: ignore[no-untyped-def]
    incidents = sample["incidents"]
    now = reference_time(incidents)
    # only the last 30 days (the current window): every previous count is 0 ...
    recent = incidents[incidents["occurred_at"] > now - pd.Timedelta(days=30)].copy()
    # ... and one category of one's own that appears only in the previous window
    gone = incidents.iloc[:3].copy()
    gone["occurred_at"] = now - pd.Timedelta(days=40)
    gone["category"] = "<script>x</script>"
    ov = build_overview(
        sample["grids"], pd.concat([recent, gone]), metric_crs=sample["crs"], now=now
    )
    for lang, new in (("zh", "新增"), ("en", "new")):
        table = kpi_table(ov, lang)
        pct = table[table.columns[-1]].tolist()
        current = table[table.columns[1]].tolist()
        previous = table[table.columns[2]].tolist()
        for shown, c, p in zip(pct, current, previous, strict=True):
            assert isinstance(shown, str)
            assert shown not in ("None", "nan", "NaN", "inf", "-inf", "")
            # independent: what the figures say the cell must read
            want = new if p == 0 and c > 0 else "—" if p == 0 else f"{100 * (c - p) / p:+.0f}%"
            assert shown == want
        assert new in pct
        assert "-100%" in pct  # the category of one's own that went away
    # an ordinary period keeps its per cent
    full = kpi_table(build_overview(sample["grids"], incidents, metric_crs=sample["crs"]), "en")
    total = full.iloc[-1]
    expected = 100 * (total.iloc[1] - total.iloc[2]) / total.iloc[2]
    assert total.iloc[-1] == f"{expected:+.0f}%"
