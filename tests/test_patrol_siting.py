"""Post siting: the MILP answers equal brute force over every subset on small cases."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pytest
import scipy.sparse as sp
import shapely

from gridmap import ValidationError
from gridmap.patrol._covering import covered_weight, interchange, lagrangian_bound
from gridmap.patrol.network import street_graph
from gridmap.patrol.siting import (
    _aggregate,
    candidate_intersections,
    coverage_matrix,
    greedy_maximal_covering,
    maximal_covering,
    set_covering,
    site_new_posts,
    site_posts_for_sites,
)

CRS = "EPSG:32650"


def brute_mclp(a, w, k, fixed):
    free = np.flatnonzero(~fixed)
    best = 0.0
    for combo in itertools.combinations(free, k):
        cols = [*combo, *np.flatnonzero(fixed)]
        best = max(best, float(w[a[:, cols].any(axis=1)].sum()))
    return best


def brute_lscp(a, fixed):
    free = np.flatnonzero(~fixed)
    need = a.any(axis=1)
    for size in range(len(free) + 1):
        for combo in itertools.combinations(free, size):
            cols = [*combo, *np.flatnonzero(fixed)]
            if (a[:, cols].any(axis=1) | ~need).all():
                return size
    raise AssertionError


@pytest.mark.parametrize("seed", range(12))
def test_mclp_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    a = rng.random((40, 9)) < 0.18
    w = rng.integers(1, 10, 40).astype(float)
    fixed = np.zeros(9, dtype=bool)
    fixed[: seed % 3] = True
    k = 1 + seed % 3
    expected = brute_mclp(a, w, k, fixed)
    for relax, aggregate, reduce in itertools.product((True, False), repeat=3):
        result = maximal_covering(
            a, w, k, fixed=fixed, relax_y=relax, aggregate=aggregate, reduce=reduce
        )
        assert result.objective == pytest.approx(expected)
        assert result.optimal
        assert result.mip_gap <= 1e-6
        assert len(result.chosen) == k
        assert not fixed[result.chosen].any()
    assert result.greedy_objective <= expected + 1e-9
    assert result.gain == pytest.approx(expected - brute_mclp(a, w, 0, fixed))
    assert result.dual_bound == pytest.approx(expected, rel=1e-6)


def test_merging_identical_rows_sums_their_weights():
    rng = np.random.default_rng(7)
    a = rng.random((300, 6)) < 0.3
    w = rng.integers(1, 5, 300).astype(float)
    merged, mw = _aggregate(sp.csr_matrix(a).astype(float), w)
    # independently: one row per distinct non-empty set of candidates, weights summed
    groups: dict[tuple[int, ...], float] = {}
    for row, weight in zip(a, w, strict=True):
        if row.any():
            key = tuple(np.flatnonzero(row).tolist())
            groups[key] = groups.get(key, 0.0) + weight
    got = {tuple(merged[[i]].indices.tolist()): mw[i] for i in range(merged.shape[0])}
    assert got == pytest.approx(groups)
    assert merged.shape[0] == len(groups) < 300


@pytest.mark.parametrize("seed", range(6))
def test_lagrangian_bound_bounds_every_answer(seed):
    rng = np.random.default_rng(50 + seed)
    a = rng.random((60, 8)) < 0.2
    w = rng.integers(1, 10, 60).astype(float)
    k = 2 + seed % 2
    best = brute_mclp(a, w, k, np.zeros(8, bool))
    bound, forced = lagrangian_bound(sp.csr_matrix(a).astype(float), w, k, best)
    assert bound >= best - 1e-9
    for j in range(8):  # the best answer that opens j, by brute force, is within forced[j]
        others = [c for c in range(8) if c != j]
        with_j = max(
            float(w[a[:, [j, *combo]].any(axis=1)].sum())
            for combo in itertools.combinations(others, k - 1)
        )
        assert with_j <= forced[j] + 1e-9


def test_interchange_never_loses_and_reaches_a_swap_optimum():
    rng = np.random.default_rng(3)
    a = sp.csr_matrix(rng.random((200, 15)) < 0.15).astype(float)
    w = rng.integers(1, 10, 200).astype(float)
    start = np.arange(4)
    out = interchange(a, w, start)
    value = covered_weight(a, w, out)
    assert value >= covered_weight(a, w, start)
    for pos, j in itertools.product(range(4), range(15)):  # no single swap improves
        if j in out:
            continue
        trial = out.copy()
        trial[pos] = j
        assert covered_weight(a, w, trial) <= value + 1e-9


def medium_instance(n_demand: int, n_cand: int, seed: int):
    rng = np.random.default_rng(seed)
    hot = rng.uniform(0, 4000, (12, 2))
    pts = np.vstack(
        [hot[rng.integers(0, 12, n_demand // 2)] + rng.normal(0, 200, (n_demand // 2, 2)),
         rng.uniform(0, 4000, (n_demand - n_demand // 2, 2))]
    )  # fmt: skip
    cands = rng.uniform(0, 4000, (n_cand, 2))
    a = np.hypot(*(pts[:, None] - cands[None]).transpose(2, 0, 1)) <= 500
    return a, rng.integers(1, 6, n_demand).astype(float)


@pytest.mark.parametrize("seed", range(3))
def test_reductions_keep_the_plain_models_optimum_on_medium_cases(seed):
    a, w = medium_instance(1500, 80, seed)
    ours = maximal_covering(a, w, 6)
    plain = maximal_covering(a, w, 6, aggregate=False, reduce=False, relax_y=False)
    assert plain.optimal
    assert ours.optimal
    assert ours.objective == pytest.approx(plain.objective)
    assert ours.greedy_objective <= ours.objective
    assert covered_weight(sp.csr_matrix(a), w, ours.chosen) == pytest.approx(ours.objective)


def test_a_loose_gap_is_proven_by_the_bound_and_reported():
    a, w = medium_instance(3000, 150, 11)
    r = maximal_covering(a, w, 8, mip_rel_gap=0.05)
    assert "Lagrangian" in r.status  # no MILP needed
    assert r.optimal
    assert 0 <= r.mip_gap <= 0.05
    assert r.dual_bound >= r.objective
    exact = maximal_covering(a, w, 8)
    assert exact.objective <= r.dual_bound + 1e-9  # the bound really bounds the optimum
    assert r.objective <= exact.objective + 1e-9


@pytest.mark.parametrize("seed", range(12))
def test_lscp_equals_brute_force(seed):
    rng = np.random.default_rng(100 + seed)
    a = rng.random((25, 9)) < 0.2
    fixed = np.zeros(9, dtype=bool)
    fixed[: seed % 2] = True
    result = set_covering(a, fixed=fixed)
    assert result.objective == brute_lscp(a, fixed)
    assert result.optimal
    assert result.greedy_objective >= result.objective
    cols = [*result.chosen, *np.flatnonzero(fixed)]
    covered = a[:, cols].any(axis=1)
    assert (covered | ~a.any(axis=1)).all()
    np.testing.assert_array_equal(result.uncoverable, np.flatnonzero(~a.any(axis=1)))


def test_greedy_is_greedy():
    a = np.array([[1, 0], [1, 0], [0, 1]], dtype=bool)
    assert greedy_maximal_covering(a, [1, 1, 5], 1).tolist() == [1]


def test_validation():
    a = np.ones((3, 2), dtype=bool)
    with pytest.raises(ValidationError, match="`k` is 3 but there are only 2"):
        maximal_covering(a, [1, 1, 1], 3)
    with pytest.raises(ValidationError, match="`weights` must be 3"):
        maximal_covering(a, [1, -1, 1], 1)
    with pytest.raises(ValidationError, match="`k` must be a non-negative integer"):
        maximal_covering(a, [1, 1, 1], 1.5)
    with pytest.raises(ValidationError, match="`coverage` must be"):
        set_covering([[1, 0]])


@pytest.fixture(scope="module")
def cross():
    # a plus-shaped crossing at (0, 0), arms 200 m, plus a far street east
    arms = [
        [(0, 0), (200, 0)],
        [(0, 0), (-200, 0)],
        [(0, 0), (0, 200)],
        [(0, 0), (0, -200)],
        [(200, 0), (600, 0)],
    ]
    streets = gpd.GeoDataFrame(
        {"highway": ["footway"] * 5},
        geometry=[shapely.LineString(c) for c in arms],
        crs=CRS,
    )
    return street_graph(streets, mode="walk", crs=CRS)


def test_coverage_matrix_on_streets(cross):
    cands = candidate_intersections(cross)
    assert cands["node"].size == 1  # only the crossing has 3+ streets
    demand = gpd.GeoDataFrame(
        geometry=[shapely.Point(50, 3), shapely.Point(0, -150), shapely.Point(500, 0)], crs=CRS
    )
    a = coverage_matrix(cross, cands, demand, seconds=np.array([60, 120, 300]))
    assert a.toarray()[:, 0].tolist() == [True, True, False]  # 500 m walk = 360 s > 300 s


def test_site_new_posts_and_sites(cross):
    incidents = gpd.GeoDataFrame(
        geometry=[shapely.Point(x, 0) for x in (450, 460, 470, -20)], crs=CRS
    )
    user = gpd.GeoDataFrame(
        {"candidate_id": ["east", "west"]},
        geometry=[shapely.Point(460, 5), shapely.Point(-100, 0)],
        crs=CRS,
    )
    chosen, result = site_new_posts(cross, incidents, k=1, minutes=1, candidates=user)
    assert chosen["candidate_id"].tolist() == ["east"]
    assert result.objective == 3
    posts = gpd.GeoDataFrame({"post_id": ["P1"]}, geometry=[shapely.Point(0, 0)], crs=CRS)
    sites = gpd.GeoDataFrame(
        {"site_id": ["S1", "S2"], "response_class": [1, 1]},
        geometry=[shapely.Point(10, 0), shapely.Point(450, 0)],
        crs=CRS,
    )
    chosen, result = site_posts_for_sites(cross, sites, posts=posts, candidates=user)
    assert chosen["candidate_id"].tolist() == ["east"]
    assert result.objective == 1


def test_a_post_far_from_every_street_is_named(cross):
    posts = gpd.GeoDataFrame(
        {"post_id": ["P-near", "P-far"]},
        geometry=[shapely.Point(10, 5), shapely.Point(0, 900)],
        crs=CRS,
    )
    incidents = gpd.GeoDataFrame(geometry=[shapely.Point(450, 0)], crs=CRS)
    with pytest.raises(ValidationError, match=r"P-far \(700 m\) are farther than 100 m") as err:
        site_new_posts(cross, incidents, k=1, posts=posts)
    assert "P-near" not in str(err.value)
    assert "岗点" not in str(err.value)  # English where printed …
    assert "候选点 P-far (700 m)" in err.value.args[0].text("zh")  # … Chinese in the app
