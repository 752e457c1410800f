"""Tests of gridmap.hotspots.local_stats: Gi* against esda, FDR classes against esda.fdr / BH."""

from __future__ import annotations

import warnings

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pytest
import scipy.sparse as sp
import shapely

from gridmap._errors import ValidationError
from gridmap.hotspots._cells import NICE_SIZES, Lattice
from gridmap.hotspots.local_stats import (
    GI_LABELS,
    gi_star,
    gi_star_hotspots,
    hotspot_classes,
)

UTM50N = "EPSG:32650"
X0, Y0 = 500_000.0, 2_560_000.0


def esda_z(y: np.ndarray, w: libpysal.weights.W) -> np.ndarray:
    """esda's Gi* with binary weights (its default "R" is not Ord & Getis' z; see module)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba / star-fill notices
        return esda.G_Local(y, w, transform="B", star=True, permutations=0).Zs


def statsmodels_bh(p: np.ndarray, alpha: float) -> np.ndarray:
    """Benjamini-Hochberg as statsmodels' multipletests(method="fdr_bh") computes it."""
    n = len(p)
    order = np.argsort(p)
    adjusted = np.minimum.accumulate((p[order] * n / np.arange(1, n + 1))[::-1])[::-1]
    out = np.empty(n, dtype=bool)
    out[order] = np.minimum(adjusted, 1) <= alpha
    return out


# --- the statistic -------------------------------------------------------------------------


def test_gi_star_equals_esda_on_queen_lattice():
    rng = np.random.default_rng(0)
    nrows, ncols = 20, 30
    y = rng.poisson(rng.gamma(2.0, 1.5, nrows * ncols)).astype(float)
    w = libpysal.weights.lat2W(nrows, ncols, rook=False)
    ours = gi_star(y, w.sparse + sp.identity(nrows * ncols))[0]
    np.testing.assert_allclose(ours, esda_z(y, w), rtol=0, atol=1e-9)
    # our lattice builds the same weights, focal cell included
    lat = Lattice("square", 100.0, 0.0, 0.0, nrows, ncols)
    mine = lat.neighbours(np.arange(nrows * ncols), lat.contiguity_distance)
    assert abs(mine - (w.sparse + sp.identity(nrows * ncols))).sum() == 0


def test_gi_star_equals_esda_with_distance_band_on_hexagons():
    rng = np.random.default_rng(1)
    lat = Lattice.covering((0.0, 0.0, 3000.0, 2000.0), 150.0, "hexagon")
    cells = np.arange(lat.n_cells)
    centres = lat.centres(cells)
    band = 2.2 * lat.width  # two rings of hexagons
    y = rng.poisson(3.0, len(cells)).astype(float)
    w = libpysal.weights.DistanceBand(centres, threshold=band, binary=True, silence_warnings=True)
    ours_w = lat.neighbours(cells, band)
    assert abs(ours_w - (w.sparse + sp.identity(len(cells)))).sum() == 0
    np.testing.assert_allclose(gi_star(y, ours_w)[0], esda_z(y, w), rtol=0, atol=1e-9)


def test_scaling_weights_changes_nothing_unlike_esda_row_standardisation():
    rng = np.random.default_rng(2)
    w = libpysal.weights.lat2W(15, 15, rook=False)
    binary = w.sparse + sp.identity(225)
    rows = sp.diags(1.0 / np.asarray(binary.sum(axis=1)).ravel()) @ binary
    y = rng.poisson(2.0, 225).astype(float)
    np.testing.assert_allclose(gi_star(y, rows)[0], gi_star(y, binary)[0], atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        esda_r = esda.G_Local(y, w, star=True, permutations=0).Zs  # default transform="R"
    # esda's default shrinks z by ~sqrt(neighbours + 1) = 3 on a queen lattice
    assert np.std(esda_r) < 0.5 * np.std(gi_star(y, binary)[0])


def test_columns_are_independent_analyses():
    rng = np.random.default_rng(3)
    w = libpysal.weights.lat2W(10, 12, rook=False).sparse + sp.identity(120)
    y = rng.poisson(2.0, (120, 4)).astype(float)
    y[:, 2] = 5.0  # constant column: no variation, nothing significant
    z, p = gi_star(y, w)
    for t in (0, 1, 3):
        zt, pt = gi_star(y[:, t], w)
        np.testing.assert_array_equal(z[:, t], zt)
        np.testing.assert_array_equal(p[:, t], pt)
    assert (z[:, 2] == 0).all()
    assert (p[:, 2] == 1).all()
    from scipy.stats import norm

    np.testing.assert_allclose(p[:, 0], 2 * norm.sf(np.abs(z[:, 0])), rtol=1e-12)


# --- classes -------------------------------------------------------------------------------


def test_fdr_classes_equal_esda_fdr_and_statsmodels_bh():
    rng = np.random.default_rng(4)
    z = np.concatenate([rng.normal(0, 1, 900), rng.normal(3.2, 1, 60), rng.normal(-3, 1, 40)])
    from scipy.stats import norm

    p = 2 * norm.sf(np.abs(z))
    classes = hotspot_classes(z, p, fdr=True)
    expected = np.zeros(len(z), dtype=int)
    expected_bh = np.zeros(len(z), dtype=int)
    for level, alpha in ((1, 0.10), (2, 0.05), (3, 0.01)):
        expected[p < esda.fdr(p, alpha)] = level
        expected_bh[statsmodels_bh(p, alpha)] = level
    expected *= np.sign(z).astype(int)
    expected_bh *= np.sign(z).astype(int)
    np.testing.assert_array_equal(classes, expected)
    np.testing.assert_array_equal(classes, expected_bh)
    assert set(np.unique(classes)) == {-3, -2, -1, 0, 1, 2, 3}
    # FDR is stricter than the raw levels
    raw = hotspot_classes(z, p, fdr=False)
    assert (np.abs(classes) <= np.abs(raw)).all()
    assert (np.abs(classes) < np.abs(raw)).any()
    # per column
    both = hotspot_classes(np.column_stack([z, -z]), np.column_stack([p, p]))
    np.testing.assert_array_equal(both[:, 0], classes)
    np.testing.assert_array_equal(both[:, 1], -classes)


def test_no_rejection_when_nothing_is_small():
    p = np.full(50, 0.5)
    assert (hotspot_classes(np.ones(50), p) == 0).all()


# --- cells ---------------------------------------------------------------------------------


def planted(seed: int) -> gpd.GeoSeries:
    rng = np.random.default_rng(seed)
    background = rng.uniform((X0, Y0), (X0 + 3000, Y0 + 2000), (3000, 2))
    cluster = rng.normal((X0 + 2200, Y0 + 600), 80, (400, 2))
    xy = np.vstack([background, cluster])
    return gpd.GeoSeries.from_xy(xy[:, 0], xy[:, 1], crs=UTM50N).to_crs("EPSG:4326")


@pytest.mark.parametrize("shape", ["square", "hexagon"])
def test_planted_cluster_is_the_hot_spot(shape):
    pts = planted(5)
    cells = gi_star_hotspots(pts, crs=UTM50N, shape=shape, cell_size=100)
    assert cells.crs == "EPSG:4326"
    assert list(cells.columns[-6:]) == ["count", "gi_z", "gi_p", "gi_class", "gi_label", "geometry"]
    assert cells["count"].sum() == len(pts)
    assert cells.index.name == "cell_id"
    assert cells.index.is_unique
    assert cells.attrs["cell_size"] == 100
    hottest = cells.loc[cells["gi_z"].idxmax()]
    assert abs(hottest["x"] - (X0 + 2200)) <= 150
    assert abs(hottest["y"] - (Y0 + 600)) <= 150
    assert hottest["gi_class"] == 3
    assert hottest["gi_label"] == GI_LABELS[3]
    # cells are the right size and lie where their centres say
    metric = cells.to_crs(UTM50N)
    np.testing.assert_allclose(metric.area, 100 * 100, rtol=1e-3)
    assert shapely.contains_xy(metric.geometry.array, cells["x"], cells["y"]).all()
    # far from the cluster nothing is hot
    far = np.hypot(cells["x"] - (X0 + 2200), cells["y"] - (Y0 + 600)) > 800
    assert (cells.loc[far, "gi_class"] <= 0).all()


def test_default_cell_size_rule():
    pts = planted(6)
    cells = gi_star_hotspots(pts, crs=UTM50N)
    size = cells.attrs["cell_size"]
    assert size in NICE_SIZES
    nonzero = cells.loc[cells["count"] > 0, "count"]
    assert nonzero.mean() >= 5
    assert len(cells) >= 30
    smaller = NICE_SIZES[NICE_SIZES.index(size) - 1]
    finer = gi_star_hotspots(pts, crs=UTM50N, cell_size=smaller)
    assert finer.loc[finer["count"] > 0, "count"].mean() < 5


def test_study_area_limits_cells_and_distance_band():
    pts = planted(7)
    area = gpd.GeoSeries([shapely.box(X0, Y0, X0 + 1500, Y0 + 2000)], crs=UTM50N)
    cells = gi_star_hotspots(pts, crs=UTM50N, cell_size=100, study_area=area)
    assert cells["x"].max() < X0 + 1600
    wide = gi_star_hotspots(pts, crs=UTM50N, cell_size=100, distance_band=250)
    assert wide.attrs["distance_band"] == 250
    assert wide["gi_z"].max() > 0


def test_sample_workspace():
    from gridmap.datasets import get_path
    from gridmap.store import GeoPackageStore

    store = GeoPackageStore(get_path("helsinki"), create=False)
    incidents = store.read("incidents")
    grids = store.read("grids")
    cells = gi_star_hotspots(incidents, crs=store.working_crs(), study_area=grids, shape="hexagon")
    assert 0 < cells["count"].sum() <= len(incidents)
    assert (cells["gi_class"] == 3).any()
    assert cells.geometry.intersects(grids.union_all()).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cell_size": -3}, "`cell_size` must be positive; got -3"),
        ({"shape": "triangle"}, '`shape` must be "square" or "hexagon"'),
        ({"distance_band": 50, "cell_size": 100}, "`distance_band` \\(50 m\\) is shorter"),
        ({"crs": "EPSG:4326"}, "`crs` must be a projected CRS"),
    ],
)
def test_validation(kwargs, match):
    args = {"crs": UTM50N, **kwargs}
    with pytest.raises(ValidationError, match=match):
        gi_star_hotspots(planted(8), **args)
