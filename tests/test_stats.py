"""Tests of gridmap.stats: point-in-grid location and counts against geopandas.sjoin, KPIs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import MultiPolygon, Point, Polygon, box

from gridmap._errors import ValidationError
from gridmap.stats import (
    TOTAL_LABEL,
    PolygonLocator,
    assign_grid,
    count_by_polygon,
    locate_points,
    locate_xy,
    window_kpis,
)

# --- fixtures and helpers ------------------------------------------------------------------

CRS = "EPSG:4326"
LON, LAT = 24.94, 60.17  # central Helsinki, where the sample data lies
HALF_X, HALF_Y = 0.0135, 0.0068  # ~1.5 km × 1.5 km


def voronoi_grids(n: int, seed: int) -> gpd.GeoDataFrame:
    """Clipped Voronoi street blocks with gaps (streets), a courtyard hole and a MultiPolygon."""
    rng = np.random.default_rng(seed)
    frame = box(LON - HALF_X, LAT - HALF_Y, LON + HALF_X, LAT + HALF_Y)
    seeds = shapely.multipoints(
        np.column_stack(
            [
                rng.uniform(LON - HALF_X, LON + HALF_X, n),
                rng.uniform(LAT - HALF_Y, LAT + HALF_Y, n),
            ]
        )
    )
    cells = shapely.intersection(
        shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame)), frame
    )
    blocks = shapely.buffer(cells, -0.00008, quad_segs=3)  # streets between blocks
    # A courtyard: a hole in the first block.
    first = blocks[0]
    blocks[0] = first.difference(shapely.buffer(shapely.centroid(first), 0.0004))
    # An estate of two separate parts: the second block plus an island in the first's hole.
    blocks[1] = MultiPolygon(
        [blocks[1], shapely.buffer(shapely.centroid(first), 0.0002, quad_segs=2)]
    )
    codes = [f"110101001001{i + 1:03d}" for i in range(n)]
    return gpd.GeoDataFrame({"grid_code": codes}, geometry=blocks, crs=CRS)


def random_points(
    n: int, bounds: np.ndarray, seed: int, margin: float = 0.1, crs: str | None = CRS
) -> gpd.GeoSeries:
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = bounds
    dx, dy = (xmax - xmin) * margin, (ymax - ymin) * margin
    x = rng.uniform(xmin - dx, xmax + dx, n)
    y = rng.uniform(ymin - dy, ymax + dy, n)
    return gpd.GeoSeries(gpd.points_from_xy(x, y), crs=crs)


def sjoin_positions(points: gpd.GeoSeries, grids: gpd.GeoDataFrame) -> np.ndarray:
    """Position of the grid each point is within, by geopandas.sjoin; -1 when none."""
    left = gpd.GeoDataFrame(geometry=points.reset_index(drop=True))
    right = gpd.GeoDataFrame(geometry=grids.geometry.reset_index(drop=True))
    joined = gpd.sjoin(left, right, predicate="within")
    # Lowest position wins where polygons overlap, as documented for locate_points.
    first = joined.groupby(level=0)["index_right"].min()
    out = np.full(len(points), -1)
    out[first.index.to_numpy()] = first.to_numpy()
    return out


def brute_force(points: gpd.GeoSeries, polygons: list | gpd.GeoSeries) -> np.ndarray:
    """Lowest position of a polygon *intersecting* each point (the documented rule)."""
    polygons = list(polygons)
    out = np.full(len(points), -1)
    for i in reversed(range(len(polygons))):
        if polygons[i] is not None:
            out[shapely.intersects(polygons[i], np.asarray(points))] = i
    return out


@pytest.fixture(scope="module")
def grids() -> gpd.GeoDataFrame:
    return voronoi_grids(30, seed=7)


@pytest.fixture(scope="module")
def points(grids: gpd.GeoDataFrame) -> gpd.GeoSeries:
    return random_points(40_000, grids.total_bounds, seed=11)


# --- locate_points against sjoin -----------------------------------------------------------


def test_locate_points_matches_sjoin_on_voronoi_partition(grids, points):
    got = locate_points(points, grids)
    expected = sjoin_positions(points, grids)
    np.testing.assert_array_equal(got, expected)
    # The fixture really exercises gaps, the hole, the island and the outside.
    assert (got == -1).sum() > 1000
    hole = shapely.buffer(shapely.centroid(grids.geometry.iloc[0]), 0.0004).difference(
        shapely.buffer(shapely.centroid(grids.geometry.iloc[0]), 0.0002, quad_segs=2)
    )
    in_hole = shapely.within(np.asarray(points), hole)
    assert in_hole.sum() > 0
    assert (got[in_hole] == -1).all()
    island = grids.geometry.iloc[1].geoms[1]
    in_island = shapely.within(np.asarray(points), island)
    assert in_island.sum() > 0
    assert (got[in_island] == 1).all()


@pytest.mark.parametrize("resolution", [1, 3, 64, 1000])
def test_locate_points_does_not_depend_on_resolution(grids, points, resolution):
    sample = points.iloc[:5000]
    got = PolygonLocator(grids, resolution=resolution).locate(sample)
    np.testing.assert_array_equal(got, sjoin_positions(sample, grids))


def test_count_by_polygon_matches_sjoin(grids, points):
    incidents = gpd.GeoDataFrame({"incident_id": range(len(points))}, geometry=points)
    counts = count_by_polygon(incidents, grids)
    joined = gpd.sjoin(incidents, grids, predicate="within")
    expected = (
        joined["grid_code"]
        .value_counts()
        .reindex(pd.Index(grids["grid_code"], name="grid_code"), fill_value=0)
        .astype("int64")
    )
    pd.testing.assert_series_equal(counts["count"], expected, check_names=False)
    assert list(counts.columns) == ["count"]
    assert counts.index.equals(pd.Index(grids["grid_code"], name="grid_code"))


def test_count_by_polygon_by_category_matches_sjoin(grids, points):
    rng = np.random.default_rng(3)
    categories = np.array(["theft", "fraud", "noise"])
    incidents = gpd.GeoDataFrame(
        {"category": categories[rng.integers(0, 3, len(points))]}, geometry=points
    )
    table = count_by_polygon(incidents, grids, by="category")
    joined = gpd.sjoin(incidents, grids, predicate="within")
    expected = (
        pd.crosstab(joined["grid_code"], joined["category"])
        .reindex(pd.Index(grids["grid_code"], name="grid_code"), fill_value=0)
        .astype("int64")
    )
    pd.testing.assert_frame_equal(table, expected, check_names=False, check_column_type=False)
    assert table.columns.name == "category"
    assert list(table.columns) == ["fraud", "noise", "theft"]


def test_concave_polygons_and_holes_match_sjoin():
    u_shape = Polygon([(0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3)])
    star = Polygon(
        [
            (5 + r * np.cos(a), 1.5 + r * np.sin(a))
            for a, r in zip(
                np.linspace(0, 2 * np.pi, 16, endpoint=False), [1.5, 0.4] * 8, strict=True
            )
        ]
    )
    holed = box(0, 4, 6, 8).difference(box(1, 5, 2, 7)).difference(Point(4, 6).buffer(1))
    in_hole = Point(4, 6).buffer(0.5)  # a grid inside another's hole
    comb = Polygon([(7, 0), (10, 0), (10, 8), (9.5, 8), (9.5, 1), (9, 1), (9, 8), (8.5, 8)])
    grids = gpd.GeoDataFrame(geometry=[u_shape, star, holed, in_hole, comb])
    pts = random_points(20_000, grids.total_bounds, seed=5, margin=0.05, crs=None)
    got = locate_points(pts, grids)
    np.testing.assert_array_equal(got, sjoin_positions(pts, grids))
    assert set(np.unique(got)) == {-1, 0, 1, 2, 3, 4}


def test_points_outside_everything():
    grids = [box(0, 0, 1, 1), box(1, 0, 2, 1)]
    x = np.array([-5.0, 3.0, 0.5, 1.5, 100.0, -1e-9, 2 + 1e-9, 0.5, 0.5])
    y = np.array([0.5, 0.5, -0.1, 1.1, 100.0, 0.5, 0.5, -1e-12, 1 + 1e-12])
    assert (locate_xy(x, y, grids) == -1).all()


def test_points_on_vertices_and_edges_land_in_exactly_one_touching_polygon():
    # A 4 × 3 partition of unit boxes plus a diagonal split, so that points on shared edges,
    # corners shared by four grids, outer edges and slanted edges all occur.
    cells = [box(i, j, i + 1, j + 1) for j in range(3) for i in range(4)]
    cells[5] = Polygon([(1, 1), (2, 1), (2, 2)])
    cells.append(Polygon([(1, 1), (2, 2), (1, 2)]))
    rings = shapely.get_coordinates(cells)
    midpoints = (rings[:-1] + rings[1:]) / 2  # includes some across rings: fine
    quarter = rings[:-1] + (rings[1:] - rings[:-1]) / 4
    xy = np.unique(np.vstack([rings, midpoints, quarter]), axis=0)
    pts = shapely.points(xy)
    got = locate_xy(xy[:, 0], xy[:, 1], cells, resolution=5)
    touching = np.column_stack([shapely.intersects(cell, pts) for cell in cells])
    on_some = touching.any(axis=1)
    assert on_some.sum() > 50
    # Each point touching a grid is assigned to exactly one: the first grid it touches.
    np.testing.assert_array_equal(got[on_some], touching[on_some].argmax(axis=1))
    assert (got[~on_some] == -1).all()
    # ... and a shared corner of four grids goes to the first of them.
    assert locate_xy([1.0], [1.0], cells).tolist() == [0]


def test_voronoi_vertices_land_in_the_first_grid_they_touch():
    # Unshrunk Voronoi cells in lon/lat: vertices shared by three grids, computed in floating
    # point, so neighbours' copies of a vertex need not be bitwise equal.
    frame = box(LON - HALF_X, LAT - HALF_Y, LON + HALF_X, LAT + HALF_Y)
    rng = np.random.default_rng(9)
    seeds = shapely.points(
        rng.uniform([LON - HALF_X, LAT - HALF_Y], [LON + HALF_X, LAT + HALF_Y], (40, 2))
    )
    cells = shapely.intersection(
        shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=frame)),
        frame,
    )
    xy = np.unique(shapely.get_coordinates(cells), axis=0)
    pts = gpd.GeoSeries(shapely.points(xy))
    got = locate_points(pts, cells)
    np.testing.assert_array_equal(got, brute_force(pts, cells))
    assert (got >= 0).mean() > 0.9


def test_vertices_on_the_outer_bounds_at_any_resolution():
    # Points on the maximum bounds of all polygons must not fall off the raster by rounding.
    rng = np.random.default_rng(0)
    for _ in range(40):
        centres = rng.uniform(0, 1e4, (3, 2))
        polygons = [Point(c).buffer(rng.uniform(100, 3000), quad_segs=2) for c in centres]
        xy = shapely.get_coordinates(polygons)
        pts = gpd.GeoSeries(shapely.points(xy))
        for resolution in (7, 50, 124, 300):
            got = locate_points(pts, polygons, resolution=resolution)
            np.testing.assert_array_equal(got, brute_force(pts, polygons))


@pytest.mark.parametrize("offset", [0.0, 24.94, 4e6, 1e7])
@pytest.mark.parametrize("scale", [1e-4, 1.0, 1000.0])
def test_random_overlapping_shapes_at_any_scale(offset, scale):
    # Circles (some with holes), boxes and empties, overlapping, small or large, near or far
    # from the origin; random points plus every vertex and the midpoints between vertices.
    rng = np.random.default_rng(int(offset) + int(scale * 1e4))
    for _ in range(6):
        shapes = []
        for _ in range(rng.integers(1, 8)):
            centre = Point(rng.uniform(0, 10, 2))
            radius = rng.uniform(0.05, 3)
            shape = centre.buffer(radius, quad_segs=int(rng.integers(1, 6)))
            if rng.random() < 0.3:
                shape = shape.difference(centre.buffer(radius / 2))
            if rng.random() < 0.2:
                x0, x1 = np.sort(rng.integers(0, 10, 2))
                y0, y1 = np.sort(rng.integers(0, 10, 2))
                shape = box(x0, y0, x1, y1)  # may be empty (zero width)
            shapes.append(shapely.transform(shape, lambda xy: xy * scale + offset))
        xy = rng.uniform(-1, 11, (3000, 2)) * scale + offset
        vertices = shapely.get_coordinates(shapes)
        xy = np.vstack([xy, vertices, (vertices[:-1] + vertices[1:]) / 2])
        pts = gpd.GeoSeries(shapely.points(xy))
        got = locate_points(pts, shapes, resolution=int(rng.integers(1, 600)))
        np.testing.assert_array_equal(got, brute_force(pts, shapes))


def test_multipolygons_match_sjoin():
    rng = np.random.default_rng(2)
    parts = [box(x, y, x + 0.8, y + 0.8) for x in range(5) for y in range(5)]
    order = rng.permutation(len(parts))
    estates = [MultiPolygon([parts[i] for i in order[k : k + 5]]) for k in range(0, len(parts), 5)]
    grids = gpd.GeoDataFrame(geometry=estates)
    pts = random_points(10_000, grids.total_bounds, seed=1, crs=None)
    got = locate_points(pts, grids)
    np.testing.assert_array_equal(got, sjoin_positions(pts, grids))
    assert set(np.unique(got)) == {-1, 0, 1, 2, 3, 4}


def test_overlapping_polygons_lowest_position_wins():
    polygons = [Point(0, 0).buffer(2), box(-1, -1, 5, 5), Point(3, 3).buffer(1)]
    pts = random_points(10_000, np.array([-3, -3, 6, 6]), seed=4, crs=None)
    got = locate_points(pts, polygons, resolution=50)
    np.testing.assert_array_equal(got, brute_force(pts, polygons))
    np.testing.assert_array_equal(got, sjoin_positions(pts, gpd.GeoDataFrame(geometry=polygons)))


def test_empty_inputs():
    grids = [box(0, 0, 1, 1)]
    assert locate_points([], grids).shape == (0,)
    assert locate_points(gpd.GeoSeries([], crs=CRS), gpd.GeoSeries(grids, crs=CRS)).size == 0
    assert locate_xy([], [], grids).dtype == np.intp
    assert locate_points([Point(0.5, 0.5)], []).tolist() == [-1]
    assert locate_points([Point(0.5, 0.5)], [None, Polygon()]).tolist() == [-1]
    locator = PolygonLocator([])
    assert len(locator) == 0
    assert locator.locate_xy([1.0], [2.0]).tolist() == [-1]


def test_missing_empty_and_nan_points_are_outside():
    grids = [box(0, 0, 1, 1), None, Polygon(), box(1, 0, 2, 1)]
    pts = [Point(0.5, 0.5), None, Point(), Point(1.5, 0.5), Point(np.nan, 0.5)]
    assert locate_points(pts, grids).tolist() == [0, -1, -1, 3, -1]
    got = locate_xy([np.nan, 0.5, np.inf, -np.inf], [0.5, np.nan, 0.5, 0.5], grids)
    assert got.tolist() == [-1, -1, -1, -1]


def test_locator_is_reusable_and_describes_itself(grids, points):
    locator = PolygonLocator(grids)
    first = locator.locate(points)
    np.testing.assert_array_equal(locator.locate(points), first)
    x, y = shapely.get_x(np.asarray(points)), shapely.get_y(np.asarray(points))
    np.testing.assert_array_equal(locator.locate_xy(x, y), first)
    assert len(locator) == len(grids)
    assert 0 < locator.edge_cell_fraction < 0.5
    assert "30 polygons" in repr(locator)
    incidents = gpd.GeoDataFrame(geometry=points)
    pd.testing.assert_frame_equal(
        count_by_polygon(incidents, grids, locator=locator), count_by_polygon(incidents, grids)
    )


# --- count_by_polygon and assign_grid -----------------------------------------------------


@pytest.fixture
def two_grids() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"grid_code": ["110101001001001", "110101001001002"], "name": ["A", "B"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        crs=CRS,
    )


@pytest.fixture
def four_incidents() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "incident_id": ["i1", "i2", "i3", "i4"],
            "category": pd.Categorical(
                ["theft", None, "theft", "fraud"], categories=["theft", "fraud", "noise"]
            ),
        },
        geometry=[Point(0.5, 0.5), Point(0.2, 0.2), Point(9, 9), Point(1.5, 0.5)],
        index=[10, 11, 12, 13],
        crs=CRS,
    )


def test_count_by_polygon_lists_every_grid_with_zeros(two_grids, four_incidents):
    counts = count_by_polygon(four_incidents.iloc[:3], two_grids)
    assert counts["count"].tolist() == [2, 0]
    assert counts.index.name == "grid_code"
    assert counts["count"].dtype == np.int64


def test_count_by_polygon_by_keeps_category_order_and_drops_missing(two_grids, four_incidents):
    table = count_by_polygon(four_incidents, two_grids, by="category")
    assert list(table.columns) == ["theft", "fraud", "noise"]
    assert table.to_numpy().tolist() == [[1, 0, 0], [0, 1, 0]]


def test_count_by_polygon_empty_incidents_and_index_ids(two_grids, four_incidents):
    empty = four_incidents.iloc[:0]
    assert count_by_polygon(empty, two_grids)["count"].tolist() == [0, 0]
    assert count_by_polygon(empty, two_grids, by="category").shape == (2, 3)
    by_index = count_by_polygon(four_incidents, two_grids.set_index("name"), id_column=None)
    assert by_index.index.tolist() == ["A", "B"]
    assert by_index["count"].tolist() == [2, 1]
    no_grids = count_by_polygon(four_incidents, two_grids.iloc[:0])
    assert no_grids.shape == (0, 1)


def test_assign_grid(two_grids, four_incidents):
    codes = assign_grid(four_incidents, two_grids)
    assert codes.index.tolist() == [10, 11, 12, 13]
    assert codes.name == "grid_code"
    assert codes.dtype == two_grids["grid_code"].dtype
    assert codes.tolist()[:2] == ["110101001001001", "110101001001001"]
    assert pd.isna(codes.iloc[2])
    assert codes.iloc[3] == "110101001001002"


def test_assign_grid_integer_ids_become_nullable(two_grids, four_incidents):
    grids = two_grids.assign(number=[7, 8])
    numbers = assign_grid(four_incidents, grids, id_column="number")
    assert numbers.dtype == "Int64"
    assert numbers.tolist() == [7, 7, pd.NA, 8]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda g, i: count_by_polygon(i, g, by="kind"), "`by`"),
        (lambda g, i: count_by_polygon(i, g, id_column="code"), "`id_column`"),
        (lambda g, i: count_by_polygon(i, g.assign(grid_code="x")), "unique"),
        (lambda g, i: count_by_polygon(pd.DataFrame(i), g), "`incidents`"),
        (lambda g, i: count_by_polygon(i, pd.DataFrame(g)), "`grids`"),
        (lambda g, i: count_by_polygon(i.to_crs(3857), g), "`incidents` and `grids`.*CRS"),
        (lambda g, i: locate_points(i.geometry.to_crs(3857), g), "`points`.*CRS"),
        (lambda g, i: count_by_polygon(gpd.GeoDataFrame({"a": [1]}), g), "geometry column"),
        (lambda g, i: count_by_polygon(i, g, locator=PolygonLocator(g.iloc[:1])), "`locator`"),
        (lambda g, i: assign_grid(i.set_geometry(shapely.buffer(i.geometry.array, 1)), g), "Point"),
        (lambda g, i: locate_points(i, Point(0, 0)), "single Point"),
        (lambda g, i: locate_points(i, [Point(0, 0)]), "Polygon or MultiPolygon"),
        (lambda g, i: locate_points(i, ["not a geometry"]), "shapely geometries"),
        (lambda g, i: locate_points(i, g, resolution=0), "`resolution`"),
        (lambda g, i: locate_points(i, g, resolution=2.5), "`resolution`"),
        (lambda g, i: locate_xy([1, 2], [1], g), "`x` and `y`"),
        (lambda g, i: locate_xy(["a"], ["b"], g), "`x` and `y`"),
    ],
)
def test_validation_errors(two_grids, four_incidents, call, match):
    with pytest.raises(ValidationError, match=match):
        call(two_grids, four_incidents)


# --- window_kpis ---------------------------------------------------------------------------

NOW = pd.Timestamp("2024-06-30 12:00")
DAY = pd.Timedelta(days=1)


@pytest.fixture
def timed_incidents() -> pd.DataFrame:
    rows = [
        ("theft", NOW),  # exactly now: current
        ("theft", NOW - 30 * DAY + pd.Timedelta(seconds=1)),  # current
        ("theft", NOW - 30 * DAY),  # exactly now - 30 days: previous
        ("theft", NOW - 45 * DAY),  # previous
        ("theft", NOW - 60 * DAY),  # exactly now - 60 days: neither
        ("theft", NOW + pd.Timedelta(seconds=1)),  # future: neither
        ("fraud", NOW - 59 * DAY),  # previous
        ("fraud", NOW - 31 * DAY),  # previous
        ("noise", NOW - DAY),  # current
        ("noise", pd.NaT),  # no time: ignored
        (None, NOW - 2 * DAY),  # no category: total only
        ("dispute", NOW - 90 * DAY),  # outside both: a row of zeros
    ]
    return pd.DataFrame(rows, columns=["category", "occurred_at"])


def test_window_kpis_hand_computed(timed_incidents):
    kpis = window_kpis(timed_incidents, now=NOW)
    expected = pd.DataFrame(
        {
            "current": [0, 0, 1, 2, 4],
            "previous": [0, 2, 0, 2, 4],
            "change": [0, -2, 1, 0, 0],
            "change_pct": [np.nan, -100.0, np.nan, 0.0, 0.0],
        },
        index=pd.Index(["dispute", "fraud", "noise", "theft", TOTAL_LABEL], name="category"),
    )
    pd.testing.assert_frame_equal(kpis, expected, check_index_type=False)


def test_window_kpis_options(timed_incidents):
    week = window_kpis(timed_incidents, now=NOW, days=7, by=None)
    assert week.index.tolist() == [TOTAL_LABEL]
    assert week.loc[TOTAL_LABEL, ["current", "previous"]].tolist() == [3, 0]
    # now given as text, half-day windows
    half = window_kpis(timed_incidents, now="2024-06-30 12:00", days=0.5, by=None)
    assert half.loc[TOTAL_LABEL, "current"] == 1
    empty = window_kpis(timed_incidents.iloc[:0], now=NOW)
    assert empty.index.tolist() == [TOTAL_LABEL]
    assert empty.loc[TOTAL_LABEL, "current"] == 0
    assert np.isnan(empty.loc[TOTAL_LABEL, "change_pct"])


def test_window_kpis_time_zones(timed_incidents):
    aware = timed_incidents.assign(
        occurred_at=timed_incidents["occurred_at"].dt.tz_localize("Asia/Shanghai")
    )
    kpis = window_kpis(aware, now=NOW.tz_localize("Asia/Shanghai"))
    assert kpis.loc[TOTAL_LABEL, "current"] == 4
    with pytest.raises(ValidationError, match="time-zone"):
        window_kpis(aware, now=NOW)
    with pytest.raises(ValidationError, match="time-zone"):
        window_kpis(timed_incidents, now=NOW.tz_localize("UTC"))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"now": NOW, "days": 0}, "`days`"),
        ({"now": NOW, "days": True}, "`days`"),
        ({"now": NOW, "days": float("nan")}, "`days`"),
        ({"now": "not a date"}, "`now`"),
        ({"now": pd.NaT}, "`now`"),
        ({"now": NOW, "by": "source"}, "`by`"),
    ],
)
def test_window_kpis_validation(timed_incidents, kwargs, match):
    with pytest.raises(ValidationError, match=match):
        window_kpis(timed_incidents, **kwargs)


def test_window_kpis_rejects_bad_frames(timed_incidents):
    with pytest.raises(ValidationError, match="occurred_at"):
        window_kpis(timed_incidents.drop(columns="occurred_at"), now=NOW)
    with pytest.raises(ValidationError, match="date-times"):
        window_kpis(timed_incidents.assign(occurred_at="2024-01-01"), now=NOW)
    with pytest.raises(ValidationError, match="reserved"):
        window_kpis(timed_incidents.assign(category=TOTAL_LABEL), now=NOW)
    with pytest.raises(ValidationError, match="`incidents`"):
        window_kpis([1, 2], now=NOW)
