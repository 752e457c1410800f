"""The bundled sample street office: complete, consistent and reproducible from OSM."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from gridmap import sample
from gridmap.datasets import get_path
from gridmap.grids import dissolve_level, invalid_grid_codes
from gridmap.schema import CATEGORIES, LAYERS, SITE_KINDS, clock_minutes, validate_layer
from gridmap.store import GeoPackageStore


@pytest.fixture(scope="module")
def bundled() -> GeoPackageStore:
    return GeoPackageStore(get_path("helsinki"), create=False)


def test_every_layer_is_there_and_valid(bundled: GeoPackageStore) -> None:
    # Every layer, the street office's hand-off (hotspots) and patrol tracks included, so
    # the police's pages have stops and tracks out of the box.
    assert bundled.layers() == list(LAYERS)
    for name in bundled.layers():
        validate_layer(bundled.read(name), name)
    assert get_path("helsinki").stat().st_size < 10_000_000  # data/ stays small


def test_grids_follow_the_hierarchy_and_are_balanced(bundled: GeoPackageStore) -> None:
    grids = bundled.read("grids")
    assert len(grids) == sample.N_COMMUNITIES * sample.GRIDS_PER_COMMUNITY
    assert invalid_grid_codes(grids["grid_code"]) == []
    communities = dissolve_level(grids, "community")
    assert len(communities) == sample.N_COMMUNITIES
    assert communities["name"].str.endswith(tuple(sample.NEIGHBOURHOODS)).all()
    assert (grids.groupby(grids["grid_code"].str[:12]).size() == sample.GRIDS_PER_COMMUNITY).all()
    metric = grids.to_crs(bundled.working_crs())
    geoms = metric.geometry.to_numpy()
    # Every grid is one piece (the old sample had 9 of 30 in several pieces).
    assert (shapely.get_type_id(geoms) == 3).all()
    # Grids do not overlap: the union's area equals the sum of areas.
    assert shapely.union_all(geoms).area == pytest.approx(metric.area.sum(), rel=1e-6)
    # Households counted independently: each building's representative point in a grid.
    buildings = bundled.read("buildings").to_crs(bundled.working_crs())
    points = shapely.point_on_surface(buildings.geometry.to_numpy())
    households = buildings["households"].to_numpy()
    counted = np.array(
        [households[shapely.contains(g, points) | shapely.touches(g, points)].sum() for g in geoms]
    )
    assert counted == pytest.approx(grids["households"].to_numpy(), abs=1)
    assert counted.sum() == pytest.approx(households.sum(), abs=1)
    # Every grid within ±5 % of its community's target (its households / its grids).
    community = grids["grid_code"].str[:12].to_numpy()
    target = pd.Series(counted).groupby(community).transform("mean").to_numpy()
    assert np.abs(counted / target - 1).max() <= sample.GRID_TOLERANCE + 1e-9


def test_grids_follow_streets_except_cuts_between_buildings(bundled: GeoPackageStore) -> None:
    crs = bundled.working_crs()
    grids = bundled.read("grids").to_crs(crs)
    streets = bundled.read("streets").to_crs(crs)
    # Boundaries between grids; the outline of the street office is not one. Cut lines
    # between the buildings of heavy blocks are the rest (about a quarter on the sample).
    outline = shapely.union_all(grids.geometry.to_numpy()).boundary
    inner = shapely.difference(
        shapely.union_all(shapely.boundary(grids.geometry.to_numpy())), shapely.buffer(outline, 1)
    )
    on_street = shapely.intersection(inner, shapely.buffer(shapely.union_all(streets.geometry), 1))
    share = on_street.length / inner.length
    assert share > 0.7, f"{share:.0%} of grid boundaries on streets"  # 76 % when built
    # The rest are cut lines between buildings: no grid boundary crosses a building's
    # representative point (a building is never divided between grids).
    points = shapely.point_on_surface(bundled.read("buildings").to_crs(crs).geometry.to_numpy())
    assert not shapely.intersects(shapely.buffer(inner, 0.01), points).any()


def test_sites_posts_and_incidents(bundled: GeoPackageStore) -> None:
    sites = bundled.read("sites")
    assert set(sites["kind"]) <= set(SITE_KINDS)
    assert {"station", "metro", "school", "bank"} <= set(sites["kind"])
    assert set(sites["response_class"]) <= {1, 3, 5}
    assert len(bundled.read("posts")) == sample.N_POSTS
    incidents = bundled.read("incidents")
    assert incidents["synthetic"].all()
    assert "SYNTHETIC" in bundled.history("incidents")[-1].message  # the Data page shows it
    assert len(incidents) >= 20_000
    assert incidents["synthetic"].all()
    assert incidents["description"].str.contains("synthetic").all()
    assert set(incidents["category"]) == set(CATEGORIES)
    span = incidents["occurred_at"].max() - incidents["occurred_at"].min()
    assert pd.Timedelta(days=360) < span <= pd.Timedelta(days=366)
    requests = incidents[incidents["category"].str.startswith("request")]
    assert requests["handled_at"].notna().mean() > 0.9
    assert (
        requests["handled_at"].dropna()
        > requests.loc[requests["handled_at"].notna(), "occurred_at"]
    ).all()


def test_the_generator_follows_its_model(bundled: GeoPackageStore) -> None:
    incidents = bundled.read("incidents")
    hours = incidents["occurred_at"].dt.hour
    fights = hours[incidents["category"] == "fight"]
    assert fights.isin([22, 23, 0, 1, 2, 3]).mean() > 0.5  # night-time violence
    requests = hours[incidents["category"] == "request-consultation"]
    assert requests.between(8, 17).mean() > 0.7  # office hours
    weekend = incidents["occurred_at"].dt.day_of_week >= 5
    assert (
        weekend[incidents["category"] == "fight"].mean()
        > weekend[incidents["category"] == "fraud"].mean()
    )
    # Emerging hot spots: the last 3 months hold more theft than the 3 before them.
    end = pd.Timestamp(sample.PERIOD_END)
    theft = incidents[incidents["category"] == "theft"]["occurred_at"]
    last = theft.between(end - pd.DateOffset(months=3), end).sum()
    before = theft.between(end - pd.DateOffset(months=6), end - pd.DateOffset(months=3)).sum()
    assert last > before * 1.1


def test_household_rule() -> None:
    households = sample.estimate_households(
        np.array([900.0, 900.0, 900.0]),
        np.array([6, 6, 6]),
        np.array(["apartments", "yes", "church"]),
    )
    assert households.tolist() == [54, 24, 0]


@pytest.mark.slow
def test_the_bundled_file_is_what_the_builder_makes(
    tmp_path: Path, bundled: GeoPackageStore
) -> None:
    rebuilt = GeoPackageStore(sample.build(tmp_path / "rebuilt.gpkg"))
    for name in bundled.layers():
        assert_geodataframe_equal(
            rebuilt.read(name), bundled.read(name), check_less_precise=True, check_like=True
        )


@pytest.mark.slow
def test_rebuilding_the_sample_grids_gives_the_bundled_ones(bundled: GeoPackageStore) -> None:
    from gridmap.grids.rebuild import rebuild_sample_grids

    rebuilt = rebuild_sample_grids(bundled)
    grids = bundled.read("grids")
    assert rebuilt["grid_code"].tolist() == grids["grid_code"].tolist()
    assert rebuilt["households"].tolist() == grids["households"].tolist()
    assert rebuilt["community"].tolist() == grids["community"].tolist()
    crs = bundled.working_crs()
    a = rebuilt.to_crs(crs).geometry.to_numpy()
    b = grids.to_crs(crs).geometry.to_numpy()
    assert shapely.area(shapely.symmetric_difference(a, b)).max() < 1.0  # m²


# --------------------------------------------------------------------- the patrol journey


def test_schools_have_opening_and_closing_times(bundled: GeoPackageStore) -> None:
    sites = bundled.read("sites")
    school = sites["kind"] == "school"
    opens = sites["opens"].map(clock_minutes)
    closes = sites["closes"].map(clock_minutes)
    assert school.sum() >= 5  # 8 in the OSM extract
    # Every school opens between 07:30 and 08:30 and closes between 15:00 and 17:00,
    # after it opens; the times vary between schools (seeded, not one time for all).
    assert opens[school].between(7.5 * 60, 8.5 * 60).all()
    assert closes[school].between(15 * 60, 17 * 60).all()
    assert (closes[school] - opens[school] >= 6 * 60).all()
    assert opens[school].nunique() > 1
    assert closes[school].nunique() > 1
    assert sites["opens"][school].str.fullmatch(r"\d{2}:\d{2}").all()  # "HH:MM" text
    assert sites.loc[~school, ["opens", "closes"]].isna().all().all()  # other sites: none


def test_a_synthetic_week_of_tracks_for_two_units_along_the_streets(
    bundled: GeoPackageStore,
) -> None:
    tracks = bundled.read("tracks")
    assert tracks["synthetic"].all()
    assert "SYNTHETIC" in bundled.history("tracks")[-1].message
    assert sorted(tracks["unit"].unique()) == ["U1", "U2"]
    assert 15_000 < len(tracks) < 25_000  # two 4-hour shifts a day, a fix every 10 s
    times = tracks["time"].dropna()
    days = times.dt.normalize()
    assert days.nunique() == 7
    assert days.dt.day_of_week.nunique() == 7
    assert times.max() < pd.Timestamp(sample.PERIOD_END)  # within the incidents' months
    assert times.dt.hour.between(8, 11).all()  # the 08:00-12:00 shift
    # Along the streets, measured independently of the generator: the distance of every
    # fix to the nearest walking street. GPS noise (5 m per axis) keeps nearly all fixes
    # within 25 m; the generator's deliberate jumps (~0.3 %) land 1-3 km away.
    crs = bundled.working_crs()
    streets = bundled.read("streets")
    walk = streets[streets["network"] == "walk"].to_crs(crs).geometry.to_numpy()
    fixes = tracks.to_crs(crs).geometry.to_numpy()
    tree = shapely.STRtree(walk)
    _, distance = tree.query_nearest(fixes, return_distance=True, all_matches=False)
    assert len(distance) == len(fixes)
    assert (distance <= 25).mean() > 0.98
    assert (distance > 500).mean() < 0.01
    # Each unit starts its shifts at its own post (U1 at the first, U2 at the second).
    posts = bundled.read("posts").to_crs(crs).set_index("post_id").geometry
    first = tracks.dropna(subset=["time"]).sort_values("time").groupby(["unit", days]).head(1)
    for unit, post in (("U1", "P01"), ("U2", "P02")):
        starts = first[first["unit"] == unit].to_crs(crs).geometry.to_numpy()
        assert len(starts) == 7
        assert shapely.distance(starts, posts[post]).max() < 150  # its nearest crossing


def test_hotspots_are_the_street_offices_hand_off(
    bundled: GeoPackageStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gridmap.cli import main
    from gridmap.store import install_sample_workspace

    hotspots = bundled.read("hotspots")
    assert set(hotspots["kind"]) == {"gi_star", "emerging", "warning"}
    # What `gridmap hotspots save` makes of the sample's last 12 weeks is what is bundled.
    copy = install_sample_workspace(tmp_path / "copy.gpkg")
    last_day = (pd.Timestamp(sample.PERIOD_END) - pd.Timedelta(days=1)).date().isoformat()
    assert main(["-w", str(copy), "hotspots", "save", "--end", last_day]) == 0
    assert f"{len(hotspots)} areas" in capsys.readouterr().out
    saved = GeoPackageStore(copy).read("hotspots")
    assert_geodataframe_equal(saved, hotspots, check_less_precise=True)
    # The warning areas are grids of the sample.
    warning_shapes = hotspots[hotspots["kind"] == "warning"].geometry.normalize()
    grid_shapes = set(bundled.read("grids").geometry.normalize().to_wkb())
    assert set(warning_shapes.to_wkb()) <= grid_shapes
