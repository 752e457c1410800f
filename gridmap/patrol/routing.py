"""Patrol routes between sentinel posts through hot spots and key sites (点守线巡).

A unit leaves its post at the start of the shift, visits some of the stops (hot spots, key
target sites), dwells at each, and ends its shift at the same or another post. Several units
from several posts are planned at once. Stops may be *required* or *optional with a priority*:
when the shift is too short for all of them, low-priority stops are dropped
(prize-collecting). Stops may carry a time window (a school gate: 30 min before classes to
30 min after dismissal).

Method: `PyVRP <https://pyvrp.org>`_ (Wouda, Lan & Kool 2024, hybrid genetic search) chooses
the stops of each unit and a first order; each unit's order is then intensified with LKH-3
(Helsgaun 2017) through ``elkai`` when it is installed (the optional ``lkh`` extra: LKH is
free for non-commercial use only), with the start and end posts fixed. A new order is kept
only when the independent timetable check (:mod:`gridmap.patrol.simulate`) finds every window
and the shift budget still met and the travel time shorter. Finally stops that were dropped
are inserted again where the saved time allows and their value exceeds the extra travel.

All routing functions take a **travel-time matrix** between nodes (seconds, ``numpy``) and
refer to stops and posts by their row in it; :func:`matrix_from_graph` builds one from a
street graph with ``time`` edge attributes.
"""

from __future__ import annotations

import importlib.util
import time as _time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse
from scipy.sparse import csgraph

from gridmap._errors import ValidationError

#: Dwell at a hot spot, seconds. Koper (1995, "Just enough police presence: reducing crime and
#: disorderly behavior by optimizing patrol time in crime hot spots", Justice Quarterly 12(4))
#: found the residual deterrence of a police stop rising with its length up to ~14-15 min; the
#: "Koper curve" practice is 10-15 min stops at random intervals. We use the middle of the window.
DWELL_HOTSPOT = 12 * 60
#: The Koper window itself (seconds): dosage below it is too short, above it gives little more.
KOPER_WINDOW = (10 * 60, 15 * 60)
#: Default value of one priority point of an optional stop, in seconds of travel: a stop with
#: priority 3 is worth 30 min of extra travel before it is dropped.
PRIORITY_VALUE = 10 * 60
#: A default shift budget (seconds): a 4-hour patrol.
SHIFT = 4 * 3600
#: LKH-3 checks its time limit between trials and counts CPU time after its preprocessing:
#: it is given this share of the time left so the whole call keeps to `time_limit`.
LKH_SAFETY = 0.5
#: Share of the wall-clock budget for LKH-3's first run (which also measures the machine's load).
LKH_FIRST = 0.15
#: PyVRP finishes its last iteration after its time limit: it is given this share.
PYVRP_SAFETY = 0.93

FloatArray = npt.NDArray[np.float64]


def lkh_available() -> bool:
    """Whether LKH-3 (through the optional ``elkai`` package) can polish stop orders."""
    return importlib.util.find_spec("elkai") is not None


@dataclass
class PatrolRoute:
    """One unit's route.

    Attributes
    ----------
    unit : the unit's name.
    start, end : matrix rows of the start and end posts.
    stops : the visited stops' ids in order.
    nodes : matrix rows of the whole route, posts included (``[start, *stops, end]``).
    timetable : one row per place (posts included): ``order``, ``stop``, ``node``, ``arrive``,
        ``start`` (dwell starts, after waiting for a window), ``leave``, ``wait``, ``dwell``,
        all seconds from the shift start.
    travel_time : seconds travelling. duration : seconds from leaving the start post to
        arriving at the end post. distance : metres when a distance matrix was given.
    """

    unit: str
    start: int
    end: int
    stops: list[Hashable]
    nodes: list[int]
    timetable: pd.DataFrame
    travel_time: float
    duration: float
    distance: float | None = None


@dataclass
class PatrolPlan:
    """Routes of all units and what was left out.

    ``objective`` = total travel time (s) + value of dropped stops (priority ×
    ``priority_value``, seconds): what the solver minimises and what benches compare.
    """

    routes: list[PatrolRoute]
    dropped: list[Hashable]
    travel_time: float
    dropped_value: float
    objective: float
    info: dict[str, Any] = field(default_factory=dict)

    def timetable(self) -> pd.DataFrame:
        """All units' timetables in one table (a ``unit`` column first)."""
        frames = [r.timetable.assign(unit=r.unit) for r in self.routes]
        if not frames:
            return pd.DataFrame(columns=["unit", *_TIMETABLE_COLUMNS])
        out = pd.concat(frames, ignore_index=True)
        return out[["unit", *_TIMETABLE_COLUMNS]]


_TIMETABLE_COLUMNS = ["order", "stop", "node", "arrive", "start", "leave", "wait", "dwell"]


# --------------------------------------------------------------------------- matrices


def matrix_from_graph(
    graph: nx.Graph, stops: Sequence[Hashable], *, weight: str = "time"
) -> FloatArray:
    """Travel times (shortest paths) between graph nodes `stops`.

    Parameters
    ----------
    graph : a networkx graph (undirected: both directions; directed: one-way streets kept),
        edges carrying `weight` (seconds). Parallel edges use the fastest.
    stops : graph node ids, in the order wanted for the matrix rows.
    weight : edge attribute holding the travel time, seconds.

    Returns
    -------
    ``(len(stops), len(stops))`` float array of seconds; ``inf`` where a stop cannot be reached.
    Built once as a CSR matrix and solved with ``scipy.sparse.csgraph.dijkstra`` from the
    distinct stops only.
    """
    index = {node: i for i, node in enumerate(graph.nodes)}
    missing = [s for s in stops if s not in index]
    if missing:
        msg = f"`stops` holds nodes not in `graph`: {missing[:5]!r}"
        raise ValidationError(msg)
    csr = graph_csr(graph, weight=weight, index=index)
    rows = np.fromiter((index[s] for s in stops), dtype=np.int64, count=len(stops))
    unique, inverse = np.unique(rows, return_inverse=True)
    dist = csgraph.dijkstra(csr, directed=True, indices=unique)
    return dist[inverse][:, rows]


def graph_csr(
    graph: nx.Graph, *, weight: str = "time", index: dict[Hashable, int] | None = None
) -> sparse.csr_array:
    """The graph as a CSR matrix of edge `weight` (fastest parallel edge; undirected: both ways)."""
    if index is None:
        index = {node: i for i, node in enumerate(graph.nodes)}
    n = len(index)
    u, v, w = [], [], []
    for a, b, data in graph.edges(data=True):
        if weight not in data:
            msg = f"`graph` edge ({a!r}, {b!r}) has no `{weight}` attribute"
            raise ValidationError(msg)
        u.append(index[a])
        v.append(index[b])
        w.append(float(data[weight]))
    ua, va, wa = np.asarray(u, np.int64), np.asarray(v, np.int64), np.asarray(w, float)
    if (wa < 0).any() or not np.isfinite(wa).all():
        msg = f"`graph` edge `{weight}` values must be finite and non-negative"
        raise ValidationError(msg)
    if not graph.is_directed():
        ua, va, wa = np.concatenate([ua, va]), np.concatenate([va, ua]), np.concatenate([wa, wa])
    # keep the fastest of parallel edges; a zero weight must stay an edge, so store w + 1 and
    # subtract after (csgraph treats explicit zeros as no edge)
    order = np.lexsort((wa, va, ua))
    ua, va, wa = ua[order], va[order], wa[order]
    first = np.ones(len(ua), bool)
    first[1:] = (ua[1:] != ua[:-1]) | (va[1:] != va[:-1])
    ua, va, wa = ua[first], va[first], wa[first]
    wa = np.where(wa == 0, np.finfo(float).tiny, wa)
    return sparse.csr_array((wa, (ua, va)), shape=(n, n))


def _check_matrix(times: object, name: str = "times") -> FloatArray:
    arr = np.asarray(times, dtype=float)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        msg = f"`{name}` must be a square matrix of seconds; got shape {arr.shape}"
        raise ValidationError(msg)
    if np.isnan(arr).any() or (arr < 0).any():
        msg = f"`{name}` must hold non-negative travel times (inf for unreachable), no NaN"
        raise ValidationError(msg)
    return arr


# --------------------------------------------------------------------------- inputs


@dataclass
class _Stops:
    ids: list[Hashable]
    node: npt.NDArray[np.int64]
    dwell: FloatArray
    priority: FloatArray  # NaN = required
    open: FloatArray
    close: FloatArray  # the dwell must end by close

    @property
    def required(self) -> npt.NDArray[np.bool_]:
        return np.isnan(self.priority)


def _read_stops(stops: pd.DataFrame, n: int, dwell: float, shift: float) -> _Stops:
    if not isinstance(stops, pd.DataFrame):
        msg = "`stops` must be a DataFrame with columns `stop` and `node`"
        raise ValidationError(msg)
    for col in ("stop", "node"):
        if col not in stops.columns:
            msg = f"`stops` needs a `{col}` column"
            raise ValidationError(msg)
    ids = list(stops["stop"])
    if len(set(ids)) != len(ids):
        msg = "`stops`: `stop` ids must be unique"
        raise ValidationError(msg)
    node = np.asarray(stops["node"], dtype=np.int64)
    if len(node) and (node.min() < 0 or node.max() >= n):
        msg = f"`stops`: `node` must be a row of the {n}-row travel-time matrix"
        raise ValidationError(msg)

    def column(name: str, default: float) -> FloatArray:
        if name not in stops.columns:
            return np.full(len(stops), default, float)
        return pd.to_numeric(stops[name], errors="coerce").to_numpy(float)

    dw = column("dwell", dwell)
    dw = np.where(np.isnan(dw), dwell, dw)
    if (dw < 0).any():
        msg = "`stops`: `dwell` must be non-negative seconds"
        raise ValidationError(msg)
    prio = column("priority", np.nan)
    if (prio[~np.isnan(prio)] < 0).any():
        msg = "`stops`: `priority` must be non-negative (empty for a required stop)"
        raise ValidationError(msg)
    op = column("open", 0.0)
    cl = column("close", shift)
    op = np.where(np.isnan(op), 0.0, op)
    cl = np.where(np.isnan(cl), shift, cl)
    bad = np.flatnonzero(cl - op < dw)
    if len(bad):
        i = bad[0]
        msg = (
            f"`stops`: the time window of stop {ids[i]!r} ({op[i] / 60:.0f}-{cl[i] / 60:.0f} min) "
            f"is shorter than its dwell of {dw[i] / 60:.0f} min"
        )
        raise ValidationError(msg)
    return _Stops(ids, node, dw, prio, op, cl)


def _read_units(units: pd.DataFrame, n: int) -> tuple[list[str], list[int], list[int]]:
    if not isinstance(units, pd.DataFrame) or "start" not in units.columns:
        msg = "`units` must be a DataFrame with a `start` column (and optional `unit`, `end`)"
        raise ValidationError(msg)
    if len(units) == 0:
        msg = "`units` is empty: at least one unit is needed"
        raise ValidationError(msg)
    names = (
        [str(u) for u in units["unit"]]
        if "unit" in units.columns
        else [f"U{i + 1}" for i in range(len(units))]
    )
    start = [int(s) for s in units["start"]]
    end = [int(e) for e in units["end"]] if "end" in units.columns else list(start)
    for s in (*start, *end):
        if not 0 <= s < n:
            msg = f"`units`: post node {s} is not a row of the {n}-row travel-time matrix"
            raise ValidationError(msg)
    return names, start, end


def _check_reachable(times: FloatArray, st: _Stops, start: list[int], end: list[int], shift: float):
    """Raise for required stops no unit can serve within windows and budget; list the others."""
    s, e = np.asarray(start), np.asarray(end)
    go = times[s][:, st.node]  # units × stops
    back = times[st.node][:, e].T  # units × stops
    begin = np.maximum(go, st.open[None, :])
    ok_window = begin + st.dwell[None, :] <= st.close[None, :]
    ok_budget = begin + st.dwell[None, :] + back <= shift
    ok = ok_window & ok_budget
    impossible = np.flatnonzero(~ok.any(axis=0))
    for i in impossible:
        if not st.required[i]:
            continue
        if not np.isfinite(go[:, i]).any() or not np.isfinite(back[:, i]).any():
            msg = f"`stops`: stop {st.ids[i]!r} cannot be reached from or back to any unit's post"
        elif not ok_window[:, i].any():
            earliest = float(np.min(go[:, i]))
            msg = (
                f"`stops`: the time window of stop {st.ids[i]!r} cannot be met: it closes at "
                f"{st.close[i] / 60:.0f} min with a {st.dwell[i] / 60:.0f} min dwell, "
                f"but the earliest arrival from a post is at {earliest / 60:.0f} min"
            )
        else:
            best = float(np.min(begin[:, i] + st.dwell[i] + back[:, i]))
            msg = (
                f"`stops`: stop {st.ids[i]!r} cannot be reached and left within the shift budget "
                f"`shift` of {shift / 60:.0f} min (it needs at least {best / 60:.0f} min)"
            )
        raise ValidationError(msg)
    return impossible


# --------------------------------------------------------------------------- solve


def plan_patrol_routes(
    times: npt.ArrayLike,
    stops: pd.DataFrame,
    units: pd.DataFrame,
    *,
    shift: float = SHIFT,
    dwell: float = DWELL_HOTSPOT,
    priority_value: float = PRIORITY_VALUE,
    distances: npt.ArrayLike | None = None,
    time_limit: float = 2.0,
    seed: int = 0,
    improve_order: bool | None = None,
    lkh_share: float = 0.1,
) -> PatrolPlan:
    """Plan patrol routes for several units from their posts through hot spots and sites.

    Parameters
    ----------
    times : ``(n, n)`` travel times between matrix nodes, seconds (``inf``: no way).
        May be asymmetric (one-way streets for cars).
    stops : one row per stop: ``stop`` (id), ``node`` (matrix row); optional ``dwell``
        (seconds; default `dwell`), ``priority`` (empty/NaN = required; otherwise the stop is
        optional and worth ``priority × priority_value`` seconds of travel), ``open`` and
        ``close`` (seconds from the shift start: the dwell must start at or after ``open`` and
        end by ``close``).
    units : one row per unit: ``start`` (post's matrix row), optional ``end`` (another post;
        default the start) and ``unit`` (a name).
    shift : the shift budget, seconds: every unit is back at its end post by then.
    dwell : default dwell at a stop, seconds (:data:`DWELL_HOTSPOT`, Koper 1995).
    priority_value : seconds of travel one priority point is worth.
    distances : optional ``(n, n)`` metres for the routes' lengths (not optimised).
    time_limit : seconds of search in total (PyVRP, then LKH-3 when installed).
    seed : random seed; the same inputs and seed give the same plan.
    improve_order : polish each unit's order with LKH-3; ``None``: when ``elkai`` is installed.
    lkh_share : the share of `time_limit` kept for LKH-3 after PyVRP (when both run): each
        unit's route is short, LKH-3 needs little; the choice of stops is PyVRP's work.

    Returns
    -------
    PatrolPlan
        Per unit the ordered stops with arrive/leave times, travel time and length; the
        dropped optional stops; the objective (travel time + value of dropped stops).

    Raises
    ------
    ValidationError
        A required stop that no unit can reach, serve and leave within its window and the
        shift; a window shorter than the dwell; required stops that do not fit in the shifts.
    """
    started = _time.perf_counter()
    tt = _check_matrix(times)
    n = tt.shape[0]
    if not np.isfinite(shift) or shift <= 0:
        msg = f"`shift` must be a positive number of seconds; got {shift!r}"
        raise ValidationError(msg)
    if time_limit <= 0:
        msg = f"`time_limit` must be positive seconds; got {time_limit!r}"
        raise ValidationError(msg)
    dist = None if distances is None else _check_matrix(distances, "distances")
    if dist is not None and dist.shape != tt.shape:
        msg = "`distances` must have the shape of `times`"
        raise ValidationError(msg)
    st = _read_stops(stops, n, float(dwell), float(shift))
    names, start, end = _read_units(units, n)
    impossible = set(_check_reachable(tt, st, start, end, float(shift)).tolist())
    use_lkh = lkh_available() if improve_order is None else bool(improve_order)
    if use_lkh and not lkh_available():
        msg = "`improve_order=True` needs the optional `elkai` package (pip install gridmap[lkh])"
        raise ValidationError(msg)

    prize = np.where(st.required, 0.0, np.nan_to_num(st.priority) * priority_value)
    candidates = [i for i in range(len(st.ids)) if i not in impossible]
    no_windows = bool(((st.open <= 0) & (st.close >= shift)).all())
    # one unit that must visit every stop and no windows: nothing for PyVRP to choose, the
    # order is a path between fixed posts, LKH-3's own problem
    pure_path = use_lkh and len(start) == 1 and bool(st.required.all()) and no_windows
    orders: list[list[int]] | None = None
    if pure_path:
        wall = time_limit * 0.9 - (_time.perf_counter() - started)
        first = _nearest_neighbour(tt, st, candidates, start[0])
        first = _polish(tt, st, first, start[0], end[0], shift, wall, seed, force=True)
        orders = None if first is None else [first]
    if orders is None:
        spent = _time.perf_counter() - started
        share = (1 - lkh_share) if use_lkh else 1.0
        # PyVRP overshoots a little (its last iteration, building the result)
        pyvrp_time = max((time_limit - spent) * share * PYVRP_SAFETY, 0.01)
        orders = _solve_pyvrp(tt, st, candidates, prize, start, end, shift, pyvrp_time, seed)
        pure_path = False

    first = sum(_route_travel(tt, [start[k], *st.node[o], end[k]]) for k, o in enumerate(orders))
    chosen = {i for o in orders for i in o}
    info: dict[str, Any] = {
        "method": "lkh" if pure_path else ("pyvrp+lkh" if use_lkh else "pyvrp"),
        "first_seconds": _time.perf_counter() - started,
        "first_objective": first
        + float(sum(prize[i] for i in range(len(prize)) if i not in chosen)),
    }
    if use_lkh and not pure_path:
        deadline = started + time_limit
        for k, order in enumerate(orders):
            left = deadline - _time.perf_counter()
            per_unit = max(0.9 * left / max(len(orders) - k, 1), 0.01)
            orders[k] = _polish(tt, st, order, start[k], end[k], shift, per_unit, seed)
    visited = {i for o in orders for i in o}
    dropped_idx = [i for i in candidates if i not in visited]
    orders = _insert_dropped(tt, st, orders, dropped_idx, prize, start, end, shift)
    visited = {i for o in orders for i in o}

    routes: list[PatrolRoute] = []
    for k, order in enumerate(orders):
        nodes = [start[k], *(int(st.node[i]) for i in order), end[k]]
        table = _timetable(tt, st, order, start[k], end[k])
        travel = _route_travel(tt, nodes)
        length = None if dist is None else _route_travel(dist, nodes)
        duration = float(table["arrive"].iloc[-1])
        routes.append(
            PatrolRoute(
                names[k],
                start[k],
                end[k],
                [st.ids[i] for i in order],
                nodes,
                table,
                travel,
                duration,
                length,
            )
        )
    dropped = [i for i in range(len(st.ids)) if i not in visited]
    if any(st.required[i] for i in dropped):
        missing = [st.ids[i] for i in dropped if st.required[i]]
        msg = (
            f"`stops`: the required stops do not all fit in the `shift` of {shift / 60:.0f} min "
            f"of {len(names)} unit(s); not placed: {missing[:10]!r}. Add units, lengthen the "
            "shift or make some stops optional (give them a `priority`)."
        )
        raise ValidationError(msg)
    travel_total = float(sum(r.travel_time for r in routes))
    dropped_value = float(sum(prize[i] for i in dropped))
    info["seconds"] = _time.perf_counter() - started
    return PatrolPlan(
        routes,
        [st.ids[i] for i in dropped],
        travel_total,
        dropped_value,
        travel_total + dropped_value,
        info,
    )


def _int_matrix(tt: FloatArray, cap: float) -> npt.NDArray[np.int64]:
    out = np.where(np.isfinite(tt), tt, cap)
    return np.rint(np.minimum(out, cap)).astype(np.int64)


def _solve_pyvrp(
    tt: FloatArray,
    st: _Stops,
    candidates: list[int],
    prize: FloatArray,
    start: list[int],
    end: list[int],
    shift: float,
    time_limit: float,
    seed: int,
) -> list[list[int]]:
    """Stop indices (into `st`) per unit, in PyVRP's order."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    if not candidates:
        return [[] for _ in start]
    post_nodes = sorted(set(start) | set(end))
    stop_nodes = [int(st.node[i]) for i in candidates]
    loc_nodes = post_nodes + stop_nodes
    sub = tt[np.ix_(loc_nodes, loc_nodes)]
    cap = 100.0 * (shift + float(np.nanmax(np.where(np.isfinite(sub), sub, 0))) + 1)
    mat = _int_matrix(sub, cap)
    np.fill_diagonal(mat, 0)
    locations = [pyvrp.Location(0.0, 0.0) for _ in loc_nodes]
    depot_of = {node: j for j, node in enumerate(post_nodes)}
    depots = [pyvrp.Depot(location=j) for j in range(len(post_nodes))]
    clients = []
    for j, i in enumerate(candidates):
        dw = round(st.dwell[i])
        clients.append(
            pyvrp.Client(
                location=len(post_nodes) + j,
                service_duration=dw,
                tw_early=round(st.open[i]),
                tw_late=int(np.floor(st.close[i] - dw)),
                prize=round(prize[i]),
                required=bool(st.required[i]),
                name=str(st.ids[i]),
            )
        )
    vehicles = [
        pyvrp.VehicleType(
            1,
            start_depot=depot_of[s],
            end_depot=depot_of[e],
            tw_early=0,
            tw_late=int(shift),
            start_late=0,
            shift_duration=int(shift),
        )
        for s, e in zip(start, end, strict=True)
    ]
    data = pyvrp.ProblemData(locations, clients, depots, vehicles, [mat], [mat])
    result = pyvrp.solve(data, MaxRuntime(max(time_limit, 0.01)), seed=seed, display=False)
    best = result.best
    orders: list[list[int]] = [[] for _ in start]
    if not best.is_feasible():
        # the budget or windows cannot all hold: keep only what fits, the check below reports
        return orders
    for route in best.routes():
        orders[route.vehicle_type()] = [
            candidates[a.idx] for a in route.schedule() if a.is_client()
        ]
    return orders


def _route_travel(mat: FloatArray, nodes: Sequence[int]) -> float:
    idx = np.asarray(nodes, dtype=np.int64)
    if len(idx) < 2:
        return 0.0
    return float(mat[idx[:-1], idx[1:]].sum())


def _timetable(tt: FloatArray, st: _Stops, order: Sequence[int], s: int, e: int) -> pd.DataFrame:
    """The timetable of leaving post `s` at 0, then `order`, then post `e` (waits for windows)."""
    rows = [
        {
            "order": 0,
            "stop": None,
            "node": s,
            "arrive": 0.0,
            "start": 0.0,
            "leave": 0.0,
            "wait": 0.0,
            "dwell": 0.0,
        }
    ]
    now, here = 0.0, s
    for k, i in enumerate(order, start=1):
        node = int(st.node[i])
        arrive = now + tt[here, node]
        begin = max(arrive, st.open[i])
        leave = begin + st.dwell[i]
        rows.append(
            {
                "order": k,
                "stop": st.ids[i],
                "node": node,
                "arrive": arrive,
                "start": begin,
                "leave": leave,
                "wait": begin - arrive,
                "dwell": float(st.dwell[i]),
            }
        )
        now, here = leave, node
    arrive = now + tt[here, e]
    rows.append(
        {
            "order": len(order) + 1,
            "stop": None,
            "node": e,
            "arrive": arrive,
            "start": arrive,
            "leave": arrive,
            "wait": 0.0,
            "dwell": 0.0,
        }
    )
    return pd.DataFrame(rows, columns=_TIMETABLE_COLUMNS)


def _feasible(
    tt: FloatArray, st: _Stops, order: Sequence[int], s: int, e: int, shift: float
) -> bool:
    """Windows and the shift budget hold for `order` (a fast loop; tests use the simulator)."""
    now, here = 0.0, s
    for i in order:
        node = int(st.node[i])
        begin = max(now + tt[here, node], st.open[i])
        now = begin + st.dwell[i]
        if now > st.close[i] + 1e-6:
            return False
        here = node
    return bool(now + tt[here, e] <= shift + 1e-6)


# --------------------------------------------------------------------------- LKH-3


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


# --------------------------------------------------------------------------- repair


def _insert_dropped(
    tt: FloatArray,
    st: _Stops,
    orders: list[list[int]],
    dropped: list[int],
    prize: FloatArray,
    start: list[int],
    end: list[int],
    shift: float,
) -> list[list[int]]:
    """Cheapest feasible insertion of dropped stops worth more than the extra travel."""
    orders = [list(o) for o in orders]
    value = np.where(st.required, np.inf, prize)
    for i in sorted(dropped, key=lambda i: -value[i]):
        best: tuple[float, int, int] | None = None
        node = int(st.node[i])
        for k, order in enumerate(orders):
            path = np.asarray([start[k], *st.node[order], end[k]], dtype=np.int64)
            extra = tt[path[:-1], node] + tt[node, path[1:]] - tt[path[:-1], path[1:]]
            for pos in np.argsort(extra, kind="stable"):
                if extra[pos] >= value[i] or (best is not None and extra[pos] >= best[0]):
                    break
                cand = [*order[:pos], i, *order[pos:]]
                if _feasible(tt, st, cand, start[k], end[k], shift):
                    best = (float(extra[pos]), k, int(pos))
                    break
        if best is not None:
            _, k, pos = best
            orders[k].insert(pos, i)
    return orders
