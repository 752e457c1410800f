"""LKH-3 (Helsgaun 2017, through the optional ``elkai`` package) for the order of a route.

Part of :mod:`gridmap.patrol.routing`, which re-exports :func:`solve_tsp_lkh` and
:func:`lkh_available`. LKH is free for non-commercial use only, hence optional.
"""

from __future__ import annotations

import importlib.util
import time as _time

import numpy as np
import numpy.typing as npt

from gridmap.patrol._route_matrix import FloatArray, _int_matrix, _route_travel
from gridmap.patrol._route_stops import _feasible, _Stops

#: LKH-3 checks its time limit between trials and counts CPU time after its preprocessing:
#: it is given this share of the time left so the whole call keeps to `time_limit`.
LKH_SAFETY = 0.5
#: Share of the wall-clock budget for LKH-3's first run (which also measures the machine's load).
LKH_FIRST = 0.15


def lkh_available() -> bool:
    """Whether LKH-3 (through the optional ``elkai`` package) can polish stop orders."""
    return importlib.util.find_spec("elkai") is not None


def _polish(
    tt: FloatArray,
    st: _Stops,
    order: list[int],
    s: int,
    e: int,
    shift: float,
    time_limit: float,
    seed: int,
    *,
    force: bool = False,
) -> list[int] | None:
    """LKH-3 order of `order`'s stops between fixed posts; kept only if feasible and shorter.

    With `force` the LKH-3 order is returned whenever it is feasible, ``None`` otherwise.
    """
    if len(order) < 2:
        return order
    nodes = [s, *(int(st.node[i]) for i in order)] + ([e] if e != s else [])
    tour = _lkh_within(tt[np.ix_(nodes, nodes)], len(nodes) - 1 if e != s else 0, time_limit, seed)
    if tour is None:
        return None if force else order
    inner = tour[1:-1] if e != s else tour[1:]
    new = [order[j - 1] for j in inner]
    before = _route_travel(tt, [s, *st.node[order], e])
    after = _route_travel(tt, [s, *st.node[new], e])
    if (force or after < before - 1e-9) and _feasible(tt, st, new, s, e, shift):
        return new
    return None if force else order


def _lkh_within(matrix: FloatArray, end: int, wall: float, seed: int) -> list[int] | None:
    """LKH-3 within `wall` seconds of wall-clock time, best of up to two runs.

    LKH-3's ``TIME_LIMIT`` counts the process's CPU time after its preprocessing; on a busy
    machine the wall clock runs several times faster. The first run gets a small share; its
    wall/CPU ratio sizes the second.
    """
    deadline = _time.perf_counter() + wall
    best: list[int] | None = None
    best_len = np.inf
    ratio = 1.0
    for run in range(2):
        left = deadline - _time.perf_counter()
        cpu = left * LKH_SAFETY / ratio if run else left * LKH_FIRST
        if run and cpu < 0.05:
            break
        w0, c0 = _time.perf_counter(), _time.process_time()
        tour = solve_tsp_lkh(matrix, end=end, time_limit=max(cpu, 0.01), seed=seed + run)
        used_cpu = max(_time.process_time() - c0, 1e-3)
        ratio = max(1.0, (_time.perf_counter() - w0) / used_cpu)
        if tour is not None:
            length = _route_travel(matrix, tour + ([] if end else [0]))
            if length < best_len:
                best, best_len = tour, length
    return best


def _nearest_neighbour(tt: FloatArray, st: _Stops, candidates: list[int], s: int) -> list[int]:
    left = list(candidates)
    order: list[int] = []
    here = s
    while left:
        j = int(np.argmin(tt[here, st.node[left]]))
        order.append(left.pop(j))
        here = int(st.node[order[-1]])
    return order


def solve_tsp_lkh(
    matrix: npt.ArrayLike,
    *,
    end: int = 0,
    time_limit: float = 1.0,
    seed: int = 0,
    runs: int = 1,
) -> list[int] | None:
    """A path over all rows of `matrix` from row 0 to row `end` (or a tour if `end` is 0) by LKH-3.

    Returns the rows in order starting at 0 (ending at `end`; a tour does not repeat 0), or
    ``None`` when ``elkai`` is not installed or LKH returned something unusable. Costs are
    rounded to integers (seconds); unreachable pairs get a large cost.
    """
    if not lkh_available():
        return None
    from elkai import _elkai  # type: ignore[attr-defined]

    m = np.asarray(matrix, float)
    n = m.shape[0]
    if end != 0:
        # a path 0 → … → end is a tour through the merged node {0, end}: leaving it costs
        # as leaving 0, entering it as entering `end` (exact, no large constants)
        keep = [0, *(j for j in range(1, n) if j != end)]
        merged = m[np.ix_(keep, keep)]
        merged[1:, 0] = m[keep[1:], end]
        tour = solve_tsp_lkh(merged, time_limit=time_limit, seed=seed, runs=runs)
        return None if tour is None else [keep[j] for j in tour] + [end]
    if n <= 3:
        return (
            list(range(n))
            if n < 3 or m[0, 1] + m[1, 2] + m[2, 0] <= m[0, 2] + m[2, 1] + m[1, 0]
            else [0, 2, 1]
        )
    finite = m[np.isfinite(m)]
    mat = _int_matrix(m, 10.0 * float(finite.max(initial=0.0)) + 1)
    np.fill_diagonal(mat, 0)
    kind = "TSP" if bool((mat == mat.T).all()) else "ATSP"
    params = (
        f"RUNS = {runs}\nSEED = {seed + 1}\nTIME_LIMIT = {max(time_limit, 0.01):.3f}\n"
        "PROBLEM_FILE = :stdin:\n"
    )
    body = "\n".join(" ".join(map(str, row)) for row in mat.tolist())
    problem = (
        f"TYPE : {kind}\nDIMENSION : {n}\nEDGE_WEIGHT_TYPE : EXPLICIT\n"
        f"EDGE_WEIGHT_FORMAT : FULL_MATRIX\nEDGE_WEIGHT_SECTION\n{body}\nEOF\n"
    )
    raw = [int(i) - 1 for i in _elkai.solve_problem(params, problem)]
    if sorted(raw) != list(range(n)):
        return None
    k = raw.index(0)
    return raw[k:] + raw[:k]
