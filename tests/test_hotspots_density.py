"""Tests of gridmap.hotspots.density: the KDE raster against exact kernel sums.

References: :class:`scipy.stats.gaussian_kde` and :class:`sklearn.neighbors.KernelDensity`
(exact sums of Gaussian kernels). Our raster bins points to cell centres before smoothing, so
it equals the exact KDE *of the binned points* up to the sampled kernel, and the exact KDE
of the points up to that binning error.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
from scipy.stats import gaussian_kde
from sklearn.neighbors import KernelDensity

from gridmap._errors import ValidationError
from gridmap.hotspots.density import DensityRaster, kde_raster, silverman_bandwidth

UTM50N = "EPSG:32650"  # Guangzhou; the tests do not depend on the place


def clustered(n: int, seed: int, origin: tuple[float, float] = (500_000.0, 2_560_000.0)):
    rng = np.random.default_rng(seed)
    a = rng.normal(origin, 250.0, (n // 2, 2))
    b = rng.normal((origin[0] + 900, origin[1] + 400), 120.0, (n - n // 2, 2))
    return np.vstack([a, b])


def cell_centres(r: DensityRaster) -> np.ndarray:
    xs, ys = r.centres()
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def exact(points: np.ndarray, query: np.ndarray, bandwidth: float) -> np.ndarray:
    """Exact Gaussian KDE in points per km² (scikit-learn)."""
    kd = KernelDensity(kernel="gaussian", bandwidth=bandwidth).fit(points)
    return np.exp(kd.score_samples(query)) * len(points) * 1e6


def snapped(r: DensityRaster, points: np.ndarray) -> np.ndarray:
    """Points moved to the centre of their raster cell (what binning does)."""
    minx, _, _, maxy = r.bounds
    col = np.floor((points[:, 0] - minx) / r.cell_size)
    row = np.floor((maxy - points[:, 1]) / r.cell_size)
    return np.column_stack([minx + (col + 0.5) * r.cell_size, maxy - (row + 0.5) * r.cell_size])


# --- mass ----------------------------------------------------------------------------------


def test_integral_is_number_of_points():
    xy = clustered(2000, 0)
    r = kde_raster(xy, crs=UTM50N)
    assert r.total() == pytest.approx(len(xy), rel=5e-3)
    assert r.values.min() >= 0
    assert r.bandwidth == pytest.approx(silverman_bandwidth(xy))
    assert r.cell_size == pytest.approx(r.bandwidth / 5)


def test_integral_counts_points_inside_given_bounds():
    xy = clustered(2000, 1)
    # a box holding the western cluster well inside, cutting the eastern one
    bounds = (498_800.0, 2_558_800.0, 501_100.0, 2_561_200.0)
    r = kde_raster(xy, crs=UTM50N, bounds=bounds, bandwidth=60, cell_size=15)
    inside = (
        (xy[:, 0] >= bounds[0])
        & (xy[:, 0] < bounds[2])
        & (xy[:, 1] >= bounds[1])
        & (xy[:, 1] < bounds[3])
    )
    assert r.bounds[0] == bounds[0]
    assert r.bounds[3] == bounds[3]
    # mass of points near the cut leaks over the edge: a bandwidth-wide strip, small
    assert r.total() == pytest.approx(inside.sum(), rel=0.03)
    assert r.total() < inside.sum()


def test_weights_sum_to_total_weight():
    xy = clustered(500, 2)
    w = np.random.default_rng(2).uniform(0, 3, len(xy))
    r = kde_raster(xy, crs=UTM50N, weights=w, bandwidth=80)
    assert r.total() == pytest.approx(w.sum(), rel=5e-3)


# --- against exact kernel sums -------------------------------------------------------------


def test_matches_scipy_gaussian_kde_within_binning_error():
    # gaussian_kde scales its kernel by the data covariance: make that covariance exactly
    # sigma² I (whiten, rescale) so a scalar bw_method gives an isotropic kernel of h.
    raw = clustered(250, 3)
    centred = raw - raw.mean(axis=0)
    chol = np.linalg.cholesky(np.cov(centred.T))
    sigma = 300.0
    xy = centred @ np.linalg.inv(chol).T * sigma + raw.mean(axis=0)
    assert np.allclose(np.cov(xy.T), sigma**2 * np.eye(2))
    h = 90.0
    r = kde_raster(xy, crs=UTM50N, bandwidth=h)
    query = cell_centres(r)
    ref = gaussian_kde(xy.T, bw_method=h / sigma)(query.T).reshape(r.shape) * len(xy) * 1e6
    ours = r.values
    # the two exact references agree
    np.testing.assert_allclose(exact(xy, query, h).reshape(r.shape), ref, rtol=1e-9, atol=1e-9)
    # peak in the same or a neighbouring cell, peak density within 2 %
    p_ref = np.unravel_index(ref.argmax(), ref.shape)
    p_ours = np.unravel_index(ours.argmax(), ours.shape)
    assert max(abs(p_ref[0] - p_ours[0]), abs(p_ref[1] - p_ours[1])) <= 1
    assert ours.max() == pytest.approx(ref.max(), rel=0.02)
    # within the binning error: what the exact KDE changes by when points move to centres
    binned_exact = exact(snapped(r, xy), query, h).reshape(r.shape)
    binning_error = np.abs(binned_exact - ref).max()
    assert np.abs(ours - ref).max() <= binning_error + 1e-3 * ref.max()
    assert np.abs(ours - ref).max() <= 0.02 * ref.max()


def test_equals_exact_kde_of_binned_points():
    xy = clustered(300, 4)
    h = 70.0
    r = kde_raster(xy, crs=UTM50N, bandwidth=h, cell_size=10.0)
    query = cell_centres(r)
    ref = exact(snapped(r, xy), query, h).reshape(r.shape)
    # only the sampled, 4-sigma-truncated kernel separates the two
    assert np.abs(r.values - ref).max() <= 1e-3 * ref.max()


# --- any CRS, any place --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lon", "lat", "crs"),
    [(151.2, -33.87, "EPSG:32756"), (113.26, 23.13, "EPSG:4547"), (-70.6, -33.45, "EPSG:32719")],
)
def test_geoseries_in_lonlat_is_projected(lon, lat, crs):
    rng = np.random.default_rng(5)
    lons = lon + rng.normal(0, 0.005, 300)
    lats = lat + rng.normal(0, 0.005, 300)
    pts = gpd.GeoSeries.from_xy(lons, lats, crs="EPSG:4326")
    r = kde_raster(pts, crs=crs, bandwidth=100)
    x, y = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lons, lats)
    r2 = kde_raster(np.column_stack([x, y]), crs=crs, bandwidth=100)
    np.testing.assert_array_equal(r.values, r2.values)
    assert r.total() == pytest.approx(300, rel=5e-3)
    assert r.crs == pyproj.CRS(crs)


def test_missing_and_empty_points_are_skipped():
    from shapely import Point

    pts = gpd.GeoSeries([Point(0, 0), None, Point(), Point(100, 50)], crs=UTM50N)
    r = kde_raster(pts, crs=UTM50N, bandwidth=30)
    assert r.total() == pytest.approx(2.0)


def test_sample_workspace():
    from gridmap.datasets import get_path
    from gridmap.store import GeoPackageStore

    store = GeoPackageStore(get_path("helsinki"), create=False)
    incidents = store.read("incidents")
    r = kde_raster(incidents, crs=store.working_crs())
    assert r.total() == pytest.approx(len(incidents), rel=5e-3)
    assert 10 < r.bandwidth < 500
    assert max(r.shape) <= 2048


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"bandwidth": -3}, "`bandwidth` must be positive; got -3"),
        ({"cell_size": 0}, "`cell_size` must be positive"),
        ({"crs": "EPSG:4326"}, "`crs` must be a projected CRS in metres"),
        ({"crs": "nonsense"}, "`crs` must be a CRS"),
        ({"bounds": (1, 2, 0, 3)}, "`bounds` must be finite"),
        ({"weights": [1, 2]}, "`weights` must have one value per point"),
        ({"weights": [-1, 1, 1]}, "`weights` must be finite and non-negative"),
    ],
)
def test_validation(kwargs, match):
    xy = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    args = {"crs": UTM50N, **kwargs}
    with pytest.raises(ValidationError, match=match.replace("(", r"\(")):
        kde_raster(xy, **args)


def test_points_without_crs_rejected():
    with pytest.raises(ValidationError, match="`points` has no CRS"):
        kde_raster(gpd.GeoSeries.from_xy([0], [0]), crs=UTM50N)


def test_weights_follow_points_when_some_are_missing():
    from shapely import Point

    pts = gpd.GeoSeries([Point(0, 0), None, Point(), Point(100, 50)], crs=UTM50N)
    r = kde_raster(pts, crs=UTM50N, bandwidth=30, weights=[1.0, 5.0, 7.0, 2.0])
    assert r.total() == pytest.approx(3.0)


# --- the raster on a Leaflet map -----------------------------------------------------------

from gridmap.hotspots.overlay import to_web_mercator_image  # noqa: E402


def _metric_offset(crs: str, lon: float, lat: float, lon2: float, lat2: float):
    tr = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x1, y1 = tr.transform(lon, lat)
    x2, y2 = tr.transform(lon2, lat2)
    return abs(x2 - x1), abs(y2 - y1)


@pytest.mark.parametrize(
    ("lon", "lat", "crs"),
    [
        (119.9, 45.0, "EPSG:32650"),  # 2.9° east of the zone's meridian: ~2° grid convergence
        (24.94, 60.17, "EPSG:32635"),  # Helsinki, the sample's zone
        (-70.6, -33.45, "EPSG:32719"),  # Santiago, southern hemisphere
        (115.4, 39.9, "EPSG:4547"),  # CGCS2000 3° Gauss-Krüger zone, 114°E
    ],
)
def test_single_incident_shows_under_itself_on_the_map(lon, lat, crs):
    tr = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = tr.transform(lon, lat)
    cell = 40.0
    # a 20 km raster with the incident 1.5 km from its north-east corner
    bounds = (x - 18_500, y - 18_500, x + 1_500, y + 1_500)
    raster = kde_raster(np.array([[x, y]]), crs=crs, cell_size=cell, bandwidth=60, bounds=bounds)
    out = to_web_mercator_image(raster, max_size=1024, hide_below=0)
    # the rotated raster leaves transparent slivers at the image's corners, no more
    assert 0.9 < (out.image[..., 3] > 0).mean() < 1.0 or crs == "EPSG:4547"
    (south, west), (north, east) = out.bounds
    merc = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    mw, ms = merc.transform(west, south)
    me, mn = merc.transform(east, north)
    h, w = out.image.shape[:2]
    # the brightest pixel is the darkest red of YlOrRd: the lowest green+blue
    darkness = out.image[..., 1:3].astype(int).sum(axis=2) + 1000 * (out.image[..., 3] == 0)
    i, j = np.unravel_index(darkness.argmin(), (h, w))
    px, py = mw + (j + 0.5) * (me - mw) / w, mn - (i + 0.5) * (mn - ms) / h
    plon, plat = merc.transform(px, py, direction="INVERSE")
    dx, dy = _metric_offset(crs, lon, lat, plon, plat)
    assert dx <= cell
    assert dy <= cell

    # the same raster laid unwarped between its lon/lat corners misses by far more
    corners = tr.transform(
        [bounds[0], bounds[2], bounds[0], bounds[2]],
        [bounds[1], bounds[1], bounds[3], bounds[3]],
        direction="INVERSE",
    )
    nw_, ns_ = merc.transform(min(corners[0]), min(corners[1]))
    ne_, nn_ = merc.transform(max(corners[0]), max(corners[1]))
    ri, rj = np.unravel_index(raster.values.argmax(), raster.shape)
    rows, cols = raster.shape
    qx = nw_ + (rj + 0.5) / cols * (ne_ - nw_)
    qy = nn_ - (ri + 0.5) / rows * (nn_ - ns_)
    qlon, qlat = merc.transform(qx, qy, direction="INVERSE")
    ndx, ndy = _metric_offset(crs, lon, lat, qlon, qlat)
    assert max(ndx, ndy) > 2 * cell


def test_overlay_png_classes_and_legend():
    import folium

    xy = clustered(500, 7)
    raster = kde_raster(xy, crs=UTM50N, bandwidth=80)
    out = to_web_mercator_image(raster, max_size=300, classes=5, png=True)
    assert out.image[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.breaks is not None
    assert len(out.breaks) == 5
    assert np.all(np.diff(out.breaks) > 0)
    assert out.breaks[-1] == pytest.approx(raster.values.max())
    assert out.colormap.index[0] == 0.0
    assert out.colormap.caption == "incidents per km²"
    arr = to_web_mercator_image(raster, max_size=300, classes=[100.0, 1000.0, 5000.0])
    colours = {tuple(c) for c in arr.image.reshape(-1, 4) if c[3] > 0}
    assert len(colours) <= 3
    assert max(arr.image.shape[:2]) <= 300
    m = folium.Map()
    folium.raster_layers.ImageOverlay(arr.image, bounds=arr.bounds).add_to(m)
    assert "data:image/png;base64" in m.get_root().render()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_size": 1}, "`max_size` must be an integer of at least 2"),
        ({"colormap": "nope"}, "`colormap` must be a matplotlib colormap name"),
        ({"vmin": 5.0, "vmax": 1.0}, "`vmax` must be greater than `vmin`"),
        ({"classes": 1}, "`classes` must be at least 2"),
        ({"classes": [3.0, 2.0]}, "`classes` breaks must be finite and strictly ascending"),
    ],
)
def test_overlay_validation(kwargs, match):
    raster = kde_raster(np.array([[0.0, 0.0]]), crs=UTM50N, bandwidth=20)
    with pytest.raises(ValidationError, match=match):
        to_web_mercator_image(raster, **kwargs)


def _brightest_lonlat(out) -> tuple[float, float]:
    """Longitude, latitude of the centre of the image's darkest-red pixel (Leaflet's view)."""
    (south, west), (north, east) = out.bounds
    merc = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    mw, ms = merc.transform(west, south)
    me, mn = merc.transform(east, north)
    h, w = out.image.shape[:2]
    darkness = out.image[..., 1:3].astype(int).sum(axis=2) + 1000 * (out.image[..., 3] == 0)
    i, j = np.unravel_index(darkness.argmin(), (h, w))
    px, py = mw + (j + 0.5) * (me - mw) / w, mn - (i + 0.5) * (mn - ms) / h
    return merc.transform(px, py, direction="INVERSE")


@pytest.mark.parametrize(
    ("lon", "lat", "crs"),
    [
        (116.397428, 39.90923, "EPSG:32650"),  # Tiananmen: GCJ-02 moves it ~570 m
        (121.4737, 31.2304, "EPSG:4549"),  # Shanghai, CGCS2000 3° zone 120°E
        (24.94, 60.17, "EPSG:32635"),  # Helsinki: outside China, GCJ-02 does not move it
    ],
)
def test_incident_lands_on_its_street_on_both_basemaps(lon, lat, crs):
    from gridmap.crs import wgs84_to_gcj02

    tr = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = tr.transform(lon, lat)
    cell = 20.0
    bounds = (x - 6_000, y - 4_000, x + 2_000, y + 3_000)
    raster = kde_raster(np.array([[x, y]]), crs=crs, cell_size=cell, bandwidth=40, bounds=bounds)
    glon, glat = (float(v) for v in wgs84_to_gcj02(lon, lat))
    for shift, (want_lon, want_lat) in ((None, (lon, lat)), ("gcj02", (glon, glat))):
        out = to_web_mercator_image(raster, max_size=1024, hide_below=0, shift=shift)
        plon, plat = _brightest_lonlat(out)
        # where Leaflet draws the peak, measured in the raster's metres, from where the
        # basemap draws the incident (a GCJ-02 position read as if it were WGS-84)
        dx, dy = _metric_offset(crs, want_lon, want_lat, plon, plat)
        assert max(dx, dy) <= cell, (shift, dx, dy)
    moved = max(_metric_offset(crs, lon, lat, glon, glat))
    assert moved > 300 if lon > 100 else moved == 0


def test_shift_is_checked():
    raster = kde_raster(np.array([[0.0, 0.0]]), crs=UTM50N, bandwidth=20)
    with pytest.raises(ValidationError, match="`shift` must be None or 'gcj02'"):
        to_web_mercator_image(raster, shift="bd09")


# ---------------------------------------------------------------------------------------
# the chosen area: the raster over the area only, the overlay masked to its outline


def _square(side: float, origin=(500_000.0, 2_560_000.0)):
    import shapely

    x, y = origin
    return shapely.box(x, y, x + side, y + side)


def _inside_mass(points: np.ndarray, box, bandwidth: float) -> float:
    """Gaussian kernel mass inside an axis-parallel box, summed over points (exact)."""
    from scipy.stats import norm

    minx, miny, maxx, maxy = box.bounds
    fx = norm.cdf((maxx - points[:, 0]) / bandwidth) - norm.cdf((minx - points[:, 0]) / bandwidth)
    fy = norm.cdf((maxy - points[:, 1]) / bandwidth) - norm.cdf((miny - points[:, 1]) / bandwidth)
    return float((fx * fy).sum())


def _cells_inside(r: DensityRaster, area) -> np.ndarray:
    import shapely

    centres = cell_centres(r)
    return shapely.contains_xy(area, centres[:, 0], centres[:, 1]).reshape(r.shape)


def test_raster_over_the_area_keeps_densities_inside_and_their_integral():
    from gridmap.hotspots.views._places import area_cell_size

    area = _square(1000.0)
    rng = np.random.default_rng(7)
    pts = np.array([500_000.0, 2_560_000.0]) + rng.uniform(50, 950, (300, 2))
    bw = 80.0
    cell = area_cell_size(1000.0, bw)
    assert cell == pytest.approx(80.0 / 32)  # 1000/512 m is finer than bw/32
    minx, miny, maxx, maxy = area.bounds
    # the view's raster (the area's box plus a cell) and the street-wide one, same cells
    local = kde_raster(
        pts,
        crs=UTM50N,
        bandwidth=bw,
        cell_size=cell,
        bounds=(minx - cell, miny - cell, maxx + cell, maxy + cell),
    )
    wide = kde_raster(
        pts,
        crs=UTM50N,
        bandwidth=bw,
        cell_size=cell,
        bounds=(minx - cell - 40 * cell, miny - cell - 40 * cell, maxx + cell, maxy + cell),
    )
    inside_local = local.values[_cells_inside(local, area)].sum() * local.cell_area_km2
    inside_wide = wide.values[_cells_inside(wide, area)].sum() * wide.cell_area_km2
    assert inside_local == pytest.approx(inside_wide, rel=1e-9)
    # the kernel spills over the edge: inside holds the exact Gaussian mass inside the box
    expected = _inside_mass(pts, area, bw)
    assert expected < len(pts) - 5  # there is a spill to speak of
    assert inside_local == pytest.approx(expected, rel=0.01)


def test_area_cell_size_bounds():
    from gridmap.hotspots.views._places import area_cell_size

    assert area_cell_size(20_000.0, 100.0) == pytest.approx(20.0)  # at most bw/5
    assert area_cell_size(100.0, 320.0) == pytest.approx(10.0)  # at least bw/32
    assert area_cell_size(2048.0, 100.0) == pytest.approx(4.0)  # 512 across


def _pixel_centres_in(out, crs: str) -> tuple[np.ndarray, np.ndarray]:
    h, w = out.image.shape[:2]
    (s, west), (n, e) = out.bounds
    to_merc = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    mw, ms = to_merc.transform(west, s)
    me, mn = to_merc.transform(e, n)
    mx = mw + (np.arange(w) + 0.5) * (me - mw) / w
    my = mn - (np.arange(h) + 0.5) * (mn - ms) / h
    gx, gy = np.meshgrid(mx, my)
    back = pyproj.Transformer.from_crs("EPSG:3857", crs, always_xy=True)
    x, y = back.transform(gx, gy)
    return np.asarray(x), np.asarray(y)


def test_overlay_is_transparent_outside_the_area_and_unchanged_inside():
    import shapely

    from gridmap.hotspots.overlay import to_web_mercator_image

    area = shapely.Polygon(  # an L-shaped community
        [(0, 0), (800, 0), (800, 300), (300, 300), (300, 800), (0, 800)]
    )
    area = shapely.affinity.translate(area, 500_000.0, 2_560_000.0)
    rng = np.random.default_rng(3)
    pts = np.array([500_000.0, 2_560_000.0]) + rng.uniform(20, 280, (200, 2))
    raster = kde_raster(pts, crs=UTM50N, bandwidth=60.0, cell_size=5.0)
    plain = to_web_mercator_image(raster, max_size=400, hide_below=0)
    masked = to_web_mercator_image(raster, max_size=400, hide_below=0, mask=area)
    assert plain.bounds == masked.bounds
    x, y = _pixel_centres_in(masked, UTM50N)
    inside = shapely.contains_xy(area, x, y)
    alpha = masked.image[..., 3]
    assert (alpha[~inside] == 0).all()
    # outside the area the unmasked overlay did show density (the spill) ...
    assert (plain.image[..., 3][~inside] > 0).sum() > 1000
    # ... and inside, every pixel is as it was
    np.testing.assert_array_equal(masked.image[inside], plain.image[inside])
    assert (alpha[inside] > 0).mean() > 0.99


def test_overlay_mask_is_checked():
    import shapely

    from gridmap.hotspots.overlay import to_web_mercator_image

    raster = kde_raster(np.array([[0.0, 0.0], [50.0, 0.0]]), crs=UTM50N, bandwidth=20.0)
    with pytest.raises(ValidationError, match="`mask`"):
        to_web_mercator_image(raster, mask=shapely.Point(0, 0))
    with pytest.raises(ValidationError, match="`mask`"):
        to_web_mercator_image(raster, mask=shapely.Polygon())
