"""Repeats: the same place again, the same request again, and near-repeat contagion.

* :func:`repeat_locations` groups incidents that happened at the same place (within a
  tolerance in metres) and lists the places with the most incidents;
* :func:`repeat_addresses` does the same on address text, normalised;
* :func:`repeat_requests` finds citizen requests (重复诉求) that repeat an earlier one from
  the same place or with the same text within some days;
* :func:`knox_test` asks whether incidents close in space are also close in time more often
  than chance (the near-repeat phenomenon: Johnson & Bowers 2004, "The burglary as clue to
  the future", Eur. J. Criminol. 1(2):237-255; Ratcliffe's Near Repeat Calculator, 2009).

Distances are in metres: points in a geographic CRS are projected to the local UTM (or
CGCS2000) zone first.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from gridmap._errors import ValidationError
from gridmap.hotspots.filters import (
    REPEAT_REQUEST_DAYS,
    REPEAT_REQUEST_METRES,
    REQUEST_SOURCES,
    _metric_crs,
    _metric_xy,
    _occurred,
    _positive,
)

__all__ = [
    "KnoxResult",
    "knox_test",
    "location_labels",
    "normalise_address",
    "repeat_addresses",
    "repeat_locations",
    "repeat_requests",
]

_DAY_MS = 86_400_000.0


# --- repeat locations -----------------------------------------------------------------------


def location_labels(
    incidents: gpd.GeoDataFrame, *, tolerance: float = 10.0, method: str = "kdtree"
) -> pd.Series:
    """Label incidents at the same place with the same number.

    Parameters
    ----------
    incidents : GeoDataFrame
        Point incidents in any CRS.
    tolerance : float, default 10
        Metres within which two incidents are at the same place.
    method : {"kdtree", "snap"}, default "kdtree"
        ``"kdtree"`` links every pair closer than `tolerance` and labels the connected
        groups (single linkage: a chain of points each within `tolerance` of the next is one
        place, so a place can be longer than `tolerance`). ``"snap"`` rounds coordinates to a
        square lattice of `tolerance` (faster, but two points 1 m apart across a lattice line
        fall in different places).

    Returns
    -------
    pandas.Series
        Indexed like `incidents`, named ``location``: 0, 1, … numbering places by their
        first incident; -1 for incidents without a location.
    """
    tolerance = _positive(tolerance, "tolerance")
    if method not in ("kdtree", "snap"):
        msg = f"`method` must be 'kdtree' or 'snap'; got {method!r}"
        raise ValidationError(msg)
    xy = _metric_xy(incidents, "incidents")
    return pd.Series(_labels(xy, tolerance, method), index=incidents.index, name="location")


def repeat_locations(
    incidents: gpd.GeoDataFrame,
    *,
    tolerance: float = 10.0,
    min_count: int = 2,
    method: str = "kdtree",
) -> gpd.GeoDataFrame:
    """The places with repeated incidents, most incidents first.

    Parameters
    ----------
    incidents : GeoDataFrame
        Point incidents with ``occurred_at``; ``category`` and ``incident_id`` are used
        when present.
    tolerance : float, default 10
        Metres within which incidents are at the same place (see :func:`location_labels`).
    min_count : int, default 2
        Places with fewer incidents are left out.
    method : {"kdtree", "snap"}, default "kdtree"
        How places are formed (see :func:`location_labels`).

    Returns
    -------
    GeoDataFrame
        One row per place, indexed by ``location`` (as :func:`location_labels`), in the CRS
        of `incidents`: ``count``, ``first`` and ``last`` (``occurred_at``),
        ``top_category`` (the most frequent; ties by name), ``incident_ids`` (a list) and
        the mean position as geometry. Sorted by count, then last time, descending.
    """
    min_count = int(_positive(min_count, "min_count", integer=True))
    labels = location_labels(incidents, tolerance=tolerance, method=method).to_numpy()
    occurred = _occurred(incidents)
    crs = _metric_crs(incidents, "incidents") if len(incidents) else None
    xy = _metric_xy(incidents, "incidents", crs)
    frame = pd.DataFrame(
        {"location": labels, "x": xy[:, 0], "y": xy[:, 1], "occurred_at": occurred.to_numpy()}
    )
    frame["category"] = incidents["category"].to_numpy() if "category" in incidents else None
    frame["incident_id"] = (
        incidents["incident_id"].to_numpy() if "incident_id" in incidents else incidents.index
    )
    frame = frame[frame["location"] >= 0]
    sizes = frame.groupby("location").size()
    frame = frame[frame["location"].isin(sizes.index[sizes >= min_count])]
    grouped = frame.groupby("location")
    table = pd.DataFrame(
        {
            "count": grouped.size(),
            "first": grouped["occurred_at"].min(),
            "last": grouped["occurred_at"].max(),
            "top_category": _modes(frame, "location", "category"),
            "incident_ids": _lists(frame, "location", "incident_id"),
        }
    )
    centre = grouped[["x", "y"]].mean()
    geometry = gpd.GeoSeries(
        gpd.points_from_xy(centre["x"], centre["y"]), index=centre.index, crs=crs
    )
    if crs is not None:
        geometry = geometry.to_crs(incidents.crs)
    result = gpd.GeoDataFrame(table, geometry=geometry, crs=incidents.crs)
    return result.sort_values(["count", "last"], ascending=False, kind="stable")


# --- repeat addresses -----------------------------------------------------------------------


def normalise_address(text: pd.Series) -> pd.Series:
    """Address text reduced to what identifies the place.

    Unicode NFKC (full-width ``１２号`` → ``12号``), case folded, and every space and
    punctuation mark removed (``"Mannerheimintie 5, A"`` and ``"mannerheimintie 5a"`` match;
    ``"解放路 12 号"`` and ``"解放路１２号"`` match). Missing text stays missing.

    >>> normalise_address(pd.Series(["解放路 12 号", "解放路１２号", "Main St. 5", None])).tolist()
    ['解放路12号', '解放路12号', 'mainst5', nan]
    """
    values = text.astype("string").str.normalize("NFKC").str.casefold()
    values = values.str.replace(r"[\W_]+", "", regex=True)
    missing = (values.isna() | (values.str.len() == 0)).to_numpy(dtype=bool)
    result = values.astype(object)
    result[missing] = np.nan
    return result


def repeat_addresses(
    incidents: pd.DataFrame, *, column: str = "address", min_count: int = 2
) -> pd.DataFrame:
    """The addresses with repeated incidents, most incidents first.

    Parameters
    ----------
    incidents : DataFrame
        Incidents with `column` and ``occurred_at``.
    column : str, default "address"
        The column holding the address text.
    min_count : int, default 2
        Addresses with fewer incidents are left out.

    Returns
    -------
    pandas.DataFrame
        Indexed by the normalised address (``address_key``, see :func:`normalise_address`):
        ``address`` (the spelling seen most often), ``count``, ``first``, ``last``.
    """
    if column not in incidents.columns:
        msg = f"`column` must be a column of `incidents`; got {column!r}"
        raise ValidationError(msg)
    min_count = int(_positive(min_count, "min_count", integer=True))
    frame = pd.DataFrame(
        {
            "address_key": normalise_address(incidents[column]).to_numpy(),
            "address": incidents[column].astype(object).to_numpy(),
            "occurred_at": _occurred(incidents).to_numpy(),
        }
    ).dropna(subset=["address_key"])
    grouped = frame.groupby("address_key")
    table = pd.DataFrame(
        {
            "address": grouped["address"].agg(_mode),
            "count": grouped.size(),
            "first": grouped["occurred_at"].min(),
            "last": grouped["occurred_at"].max(),
        }
    )
    table = table[table["count"] >= min_count]
    return table.sort_values(["count", "last"], ascending=False, kind="stable")


# --- repeated citizen requests --------------------------------------------------------------


def repeat_requests(
    incidents: gpd.GeoDataFrame,
    *,
    days: float = REPEAT_REQUEST_DAYS,
    tolerance: float = REPEAT_REQUEST_METRES,
    text_column: str | None = None,
    sources: Sequence[str] = REQUEST_SOURCES,
) -> pd.DataFrame:
    """Citizen requests that repeat an earlier one (重复诉求).

    A request repeats an earlier request when it came within `days` after it and from within
    `tolerance` metres, or (with `text_column`) with the same normalised text. Each
    repeating request is listed once, against the latest earlier request it repeats.

    Parameters
    ----------
    incidents : GeoDataFrame
        Incidents with ``occurred_at`` and ``source``; only requests (``source`` in
        `sources`) are considered.
    days : float, default :data:`~gridmap.hotspots.filters.REPEAT_REQUEST_DAYS`
        How many days later a request still counts as a repeat.
    tolerance : float, default :data:`~gridmap.hotspots.filters.REPEAT_REQUEST_METRES`
        Metres within which two requests are from the same place.
    text_column : str, optional
        A column whose normalised text (:func:`normalise_address`) also matches requests:
        an address, or the caller's issue text.
    sources : sequence of str, default ("12345",)
        Values of ``source`` that mark citizen requests.

    Returns
    -------
    pandas.DataFrame
        One row per repeating request, indexed like `incidents`: ``repeat_of`` (the index
        label of the earlier request, or its ``incident_id`` when the column exists),
        ``days_since``, ``distance_m`` and ``match`` (``"place"``, ``"text"`` or
        ``"place+text"``). Sorted by ``occurred_at``.
    """
    days = _positive(days, "days")
    tolerance = _positive(tolerance, "tolerance")
    if "source" not in incidents.columns:
        msg = "`incidents` must have a source column to tell citizen requests apart"
        raise ValidationError(msg)
    if text_column is not None and text_column not in incidents.columns:
        msg = f"`text_column` must be a column of `incidents`; got {text_column!r}"
        raise ValidationError(msg)
    occurred = _occurred(incidents)
    is_request = incidents["source"].astype("string").isin([str(s) for s in sources])
    keep = (is_request.fillna(False) & occurred.notna()).to_numpy(dtype=bool)
    requests = incidents.loc[keep]
    columns = ["repeat_of", "days_since", "distance_m", "match"]
    if len(requests) < 2:
        return pd.DataFrame(columns=columns, index=requests.index[:0])
    xy = _metric_xy(requests, "incidents")
    t = _ms(occurred[keep])
    pairs = [_place_pairs(xy, tolerance)]
    if text_column is not None:
        pairs.append(_text_pairs(normalise_address(requests[text_column]).to_numpy()))
    first = np.concatenate([p[0] for p in pairs])
    second = np.concatenate([p[1] for p in pairs])
    kind = np.concatenate([np.full(len(p[0]), k, dtype=np.int8) for k, p in enumerate(pairs)])
    # Orient each pair earlier → later (ties by position) and keep those within `days`.
    swap = (t[second] < t[first]) | ((t[second] == t[first]) & (second < first))
    earlier = np.where(swap, second, first)
    later = np.where(swap, first, second)
    gap = (t[later] - t[earlier]) / _DAY_MS
    within = gap <= days
    earlier, later, gap, kind = earlier[within], later[within], gap[within], kind[within]
    bit = np.left_shift(1, kind.astype(np.int64))  # 1: same place, 2: same text
    found = pd.DataFrame({"later": later, "earlier": earlier, "gap": gap, "kind": bit})
    # Both matches on the same pair → 3, "place+text" (each pair occurs once per kind);
    # then the latest earlier request per later one.
    found = found.groupby(["later", "earlier"], as_index=False).agg(
        gap=("gap", "first"), kind=("kind", "sum")
    )
    found = found.sort_values(["later", "gap", "earlier"]).drop_duplicates("later")
    later_idx = found["later"].to_numpy()
    earlier_idx = found["earlier"].to_numpy()
    ids = (
        requests["incident_id"].to_numpy()
        if "incident_id" in requests
        else requests.index.to_numpy()
    )
    result = pd.DataFrame(
        {
            "repeat_of": ids[earlier_idx],
            "days_since": found["gap"].to_numpy(),
            "distance_m": np.hypot(*(xy[later_idx] - xy[earlier_idx]).T),
            "match": pd.Series(found["kind"].to_numpy())
            .map({1: "place", 2: "text", 3: "place+text"})
            .to_numpy(),
            "_t": t[later_idx],
        },
        index=requests.index[later_idx],
    )
    return result.sort_values("_t", kind="stable").drop(columns="_t")


# --- the Knox near-repeat test --------------------------------------------------------------


@dataclass(frozen=True)
class KnoxResult:
    """What :func:`knox_test` found, one cell per (distance band, time band).

    Attributes
    ----------
    observed : DataFrame
        Pairs of incidents whose distance and time apart fall in each band (int).
    expected : DataFrame
        Mean count over the permutations (what chance gives with these places and times).
    ratio : DataFrame
        Knox ratio ``observed / expected`` (NaN where expected is 0). Above 1: more pairs
        close in space and time than chance.
    p_value : DataFrame
        ``(1 + permutations with a count >= observed) / (1 + permutations)``, one-sided.
    permutations : int
        Number of Monte Carlo permutations.
    n_events : int
        Incidents with a place and a time.
    n_pairs : int
        Pairs within the largest distance (those the test looks at).
    """

    observed: pd.DataFrame
    expected: pd.DataFrame
    ratio: pd.DataFrame
    p_value: pd.DataFrame
    permutations: int
    n_events: int
    n_pairs: int


def knox_test(
    incidents: gpd.GeoDataFrame,
    *,
    distance_bands: Sequence[float] = (0, 100, 200, 300, 400),
    time_bands: Sequence[float] = (0, 7, 14, 21, 28),
    permutations: int = 99,
    seed: int | None = None,
    max_pairs: int = 20_000_000,
) -> KnoxResult:
    """Knox test of near repeats: are incidents near in space also near in time?

    Every pair of incidents within the largest distance is counted in a table of distance
    bands × time bands. Chance is what the table looks like when the times are shuffled
    over the places (Monte Carlo permutation, as Ratcliffe's Near Repeat Calculator and
    Johnson & Bowers 2004 do): places and the set of times stay as they are, only their
    pairing is broken. The pairs within the largest distance are found once with a
    k-d tree; each permutation re-reads the times of those pairs, vectorised.

    Parameters
    ----------
    incidents : GeoDataFrame
        Point incidents with ``occurred_at``; rows without either are left out.
    distance_bands : sequence of float, default (0, 100, 200, 300, 400)
        Band edges in metres, from 0: bands ``[0, e1]``, ``(e1, e2]`` …; ``(0, 0, 100 …)``
        makes the first band "same place" (exactly 0 m).
    time_bands : sequence of float, default (0, 7, 14, 21, 28)
        Band edges in days, likewise (times are continuous: 1.5 days apart is in ``(0, 7]``
        … with the default edges, 0-7 days).
    permutations : int, default 99
        Monte Carlo permutations; the smallest p-value possible is ``1 / (permutations + 1)``.
    seed : int, optional
        Seed of the permutations, for results that can be reproduced.
    max_pairs : int, default 20,000,000
        Refuse (with a :class:`~gridmap.ValidationError`) when more pairs than this lie
        within the largest distance: time and memory grow with the pairs (about 4 s for
        2.6 million pairs and 99 permutations, see ``bench/bench_knox.py``). Run the test
        per category, on a shorter span, or with a smaller largest distance instead.

    Returns
    -------
    KnoxResult
        Tables indexed by distance band (``"0-100 m"`` …) with columns by time band
        (``"0-7 d"`` …).

    Notes
    -----
    Pairs farther apart than the last distance edge, or further apart in time than the last
    time edge, are not in the table (the Near Repeat Calculator shows them as its last row
    and column). Distances are Euclidean, in metres.
    """
    d_edges = _edges(distance_bands, "distance_bands")
    t_edges = _edges(time_bands, "time_bands")
    permutations = int(_positive(permutations, "permutations", integer=True))
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        msg = f"`seed` must be a whole number or None; got {seed!r}"
        raise ValidationError(msg)
    xy = _metric_xy(incidents, "incidents")
    t = _ms(_occurred(incidents)) / _DAY_MS
    keep = np.isfinite(xy).all(axis=1) & np.isfinite(t)
    xy, t = xy[keep], t[keep]

    first, second, d_band = _pairs_within(xy, d_edges, int(_positive(max_pairs, "max_pairs")))
    n_d, n_t = len(d_edges) - 1, len(t_edges) - 1
    counter = _PairBandCounter(first, second, d_band.astype(np.intp) * (n_t + 1), t_edges)

    def table(times: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        counts = counter.count(times, minlength=n_d * (n_t + 1))
        return counts.reshape(n_d, n_t + 1)[:, :n_t]  # column n_t: beyond the last time edge

    observed = table(t)
    rng = np.random.default_rng(seed)
    at_least = np.zeros_like(observed)
    total = np.zeros(observed.shape, dtype=np.float64)
    for _ in range(permutations):
        simulated = table(rng.permutation(t))
        at_least += simulated >= observed
        total += simulated
    expected = total / permutations
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, observed / np.where(expected > 0, expected, 1), np.nan)
    p_value = (1.0 + at_least) / (1.0 + permutations)

    rows = pd.Index(_band_names(d_edges, "m"), name="distance")
    cols = pd.Index(_band_names(t_edges, "d"), name="time")

    def frame(values: npt.NDArray[Any]) -> pd.DataFrame:
        return pd.DataFrame(values, index=rows, columns=cols)

    return KnoxResult(
        observed=frame(observed),
        expected=frame(expected),
        ratio=frame(ratio),
        p_value=frame(p_value),
        permutations=permutations,
        n_events=len(t),
        n_pairs=len(first),
    )


# --- private helpers ------------------------------------------------------------------------


def _ms(times: pd.Series) -> npt.NDArray[np.float64]:
    if getattr(times.dtype, "tz", None) is not None:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    ms = times.to_numpy(dtype="datetime64[ms]").astype(np.int64).astype(np.float64)
    ms[times.isna().to_numpy()] = np.nan
    return ms


def _modes(frame: pd.DataFrame, by: str, column: str) -> pd.Series:
    """The most frequent text of `column` per `by` (ties: the first by name), vectorised.

    Same answer as ``groupby(by)[column].agg(_mode)`` without a Python call per group
    (that took 5 s for 3,000 places on the sample).
    """
    values = frame[[by, column]].dropna()
    values = values.assign(**{column: values[column].astype(str)})
    counts = values.groupby([by, column]).size().rename("n").reset_index()
    counts = counts.sort_values([by, "n", column], ascending=[True, False, True], kind="stable")
    top = counts.drop_duplicates(by).set_index(by)[column]
    return top.reindex(frame[by].unique()).astype(object).where(lambda s: s.notna(), None)


def _lists(frame: pd.DataFrame, by: str, column: str) -> pd.Series:
    """The values of `column` per `by` as lists, in the frame's order, vectorised."""
    order = np.argsort(frame[by].to_numpy(), kind="stable")
    keys = frame[by].to_numpy()[order]
    values = frame[column].to_numpy()[order]
    if not len(keys):
        return pd.Series([], dtype=object)
    cuts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    chunks = [list(chunk) for chunk in np.split(values, cuts)]
    return pd.Series(chunks, index=keys[np.r_[0, cuts]], dtype=object)


def _mode(values: pd.Series) -> Any:
    counts = values.dropna().astype(str).value_counts()
    if counts.empty:
        return None
    top = counts[counts == counts.max()].index
    return sorted(top)[0]


def _labels(xy: npt.NDArray[np.float64], tolerance: float, method: str) -> npt.NDArray[np.int64]:
    labels = np.full(len(xy), -1, dtype=np.int64)
    present = np.flatnonzero(np.isfinite(xy).all(axis=1))
    if len(present) == 0:
        return labels
    points = xy[present]
    if method == "snap":
        cells = np.floor(points / tolerance).astype(np.int64)
        _, raw = np.unique(cells, axis=0, return_inverse=True)
        raw = raw.ravel()
    else:
        pairs = cKDTree(points).query_pairs(tolerance, output_type="ndarray")
        n = len(points)
        graph = coo_matrix(
            (np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n)
        )
        _, raw = connected_components(graph, directed=False)
    # Number places by their first incident, so labels do not depend on the method's order.
    _, first = np.unique(raw, return_index=True)
    order = np.empty(len(first), dtype=np.int64)
    order[np.argsort(first, kind="stable")] = np.arange(len(first))
    labels[present] = order[np.unique(raw, return_inverse=True)[1].ravel()]
    return labels


def _place_pairs(
    xy: npt.NDArray[np.float64], tolerance: float
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    present = np.flatnonzero(np.isfinite(xy).all(axis=1))
    if len(present) < 2:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
    pairs = cKDTree(xy[present]).query_pairs(tolerance, output_type="ndarray")
    return present[pairs[:, 0]], present[pairs[:, 1]]


def _text_pairs(keys: npt.NDArray[Any]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Every pair of positions sharing a (non-missing) key."""
    frame = pd.DataFrame({"key": keys, "pos": np.arange(len(keys))}).dropna(subset=["key"])
    merged = frame.merge(frame, on="key", suffixes=("_a", "_b"))
    merged = merged[merged["pos_a"] < merged["pos_b"]]
    return merged["pos_a"].to_numpy(np.intp), merged["pos_b"].to_numpy(np.intp)


def _edges(values: Any, name: str) -> npt.NDArray[np.float64]:
    try:
        edges = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        msg = f"`{name}` must be a sequence of numbers; got {values!r}"
        raise ValidationError(msg) from None
    if (
        edges.ndim != 1
        or len(edges) < 2
        or not np.isfinite(edges).all()
        or edges[0] != 0
        or (np.diff(edges[1:]) <= 0).any()
        or edges[1] < 0
    ):
        msg = (
            f"`{name}` must be increasing band edges starting at 0 (at least two), "
            f"e.g. (0, 100, 200); got {values!r}"
        )
        raise ValidationError(msg)
    return edges


def _band(values: npt.NDArray[np.float64], edges: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
    """Band of each value: 0 for ``[0, e1]``, k for ``(ek, ek+1]``, len(edges)-1 beyond."""
    band = np.zeros(len(values), dtype=np.intp)
    for edge in edges[1:]:
        band += values > edge
    return band


class _PairBandCounter:
    """Counts pairs by (distance band, time band) for one assignment of times, fast.

    The pair list is walked in blocks that stay in the processor's cache, with buffers
    allocated once and every step in place: each permutation costs a few passes over the
    pairs and no allocation.
    """

    _BLOCK = 1 << 17

    def __init__(
        self,
        first: npt.NDArray[np.int32],
        second: npt.NDArray[np.int32],
        base: npt.NDArray[np.intp],
        t_edges: npt.NDArray[np.float64],
    ) -> None:
        self.first, self.second, self.base = first, second, base
        self.inner = t_edges[1:]
        size = min(self._BLOCK, len(first))
        self.gap = np.empty(size)
        self.other = np.empty(size)
        self.code = np.empty(size, dtype=np.intp)
        self.above = np.empty(size, dtype=bool)

    def count(self, times: npt.NDArray[np.float64], *, minlength: int) -> npt.NDArray[np.int64]:
        counts = np.zeros(minlength, dtype=np.int64)
        for start in range(0, len(self.first), self._BLOCK):
            stop = min(start + self._BLOCK, len(self.first))
            n = stop - start
            gap, other, code, above = self.gap[:n], self.other[:n], self.code[:n], self.above[:n]
            np.take(times, self.first[start:stop], out=gap)
            np.take(times, self.second[start:stop], out=other)
            np.subtract(gap, other, out=gap)
            np.abs(gap, out=gap)
            code[:] = self.base[start:stop]
            for edge in self.inner:
                np.greater(gap, edge, out=above)
                code += above
            counts += np.bincount(code, minlength=minlength)
        return counts


def _pairs_within(
    xy: npt.NDArray[np.float64], edges: npt.NDArray[np.float64], max_pairs: int
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], npt.NDArray[np.intp]]:
    if len(xy) < 2:
        empty = np.empty(0, dtype=np.int32)
        return empty, empty, np.empty(0, dtype=np.intp)
    tree = cKDTree(xy)
    # Count first (no memory), so a dense workspace is refused before it fills the memory.
    n_pairs = (int(tree.count_neighbors(tree, float(edges[-1]))) - len(xy)) // 2
    if n_pairs > max_pairs:
        msg = (
            f"{n_pairs:,} pairs of incidents lie within {edges[-1]:g} m, more than "
            f"`max_pairs` ({max_pairs:,}); choose fewer incidents (one category, a shorter "
            "span) or smaller `distance_bands`"
        )
        raise ValidationError(msg)
    pairs = tree.query_pairs(float(edges[-1]), output_type="ndarray")
    distance = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T)
    inside = distance <= edges[-1]
    pairs, distance = pairs[inside], distance[inside]
    return (
        pairs[:, 0].astype(np.int32),
        pairs[:, 1].astype(np.int32),
        _band(distance, edges),
    )


def _band_names(edges: npt.NDArray[np.float64], unit: str) -> list[str]:
    def fmt(value: float) -> str:
        return f"{value:g}"

    names = []
    for low, high in itertools.pairwise(edges):
        names.append(f"{fmt(high)} {unit}" if low == high else f"{fmt(low)}-{fmt(high)} {unit}")
    return names
