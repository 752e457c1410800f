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

import time as _time
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from gridmap._errors import ValidationError
from gridmap.patrol._route_lkh import (
    LKH_FIRST,
    LKH_SAFETY,
    _nearest_neighbour,
    _polish,
    lkh_available,
    solve_tsp_lkh,
)
from gridmap.patrol._route_matrix import (
    FloatArray,
    _check_matrix,
    _route_travel,
    graph_csr,
    matrix_from_graph,
)
from gridmap.patrol._route_pyvrp import BALANCE_PROBES, PYVRP_SAFETY, _balanced_pyvrp, _solve_pyvrp
from gridmap.patrol._route_stops import (
    TIMETABLE_COLUMNS,
    _check_reachable,
    _insert_dropped,
    _read_stops,
    _read_units,
    _timetable,
)

__all__ = [
    "BALANCE_PROBES",
    "DWELL_HOTSPOT",
    "KOPER_WINDOW",
    "LKH_FIRST",
    "LKH_SAFETY",
    "PRIORITY_VALUE",
    "PYVRP_SAFETY",
    "SHIFT",
    "FloatArray",
    "PatrolPlan",
    "PatrolRoute",
    "graph_csr",
    "lkh_available",
    "matrix_from_graph",
    "plan_patrol_routes",
    "solve_tsp_lkh",
]


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

    @property
    def makespan(self) -> float:
        """Seconds until the last unit is back at its post: the longest route's duration."""
        return max((r.duration for r in self.routes), default=0.0)

    def timetable(self) -> pd.DataFrame:
        """All units' timetables in one table (a ``unit`` column first)."""
        frames = [r.timetable.assign(unit=r.unit) for r in self.routes]
        if not frames:
            return pd.DataFrame(columns=["unit", *TIMETABLE_COLUMNS])
        out = pd.concat(frames, ignore_index=True)
        return out[["unit", *TIMETABLE_COLUMNS]]


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
    balance: bool = False,
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
    balance : share the work among the units: make the longest route (the last unit back
        at its post) as short as possible, without dropping any stop the plan that only
        minimises travel would serve. Minimising travel alone lets one unit take every stop
        when its shift has room. Costs some total travel; see :func:`_balanced_pyvrp`
        (a bisection on a cap of each route's duration, :data:`BALANCE_PROBES` solves).

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
    if not isinstance(balance, bool):
        msg = f"`balance` must be True or False; got {balance!r}"
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
    budget = float(shift)  # what every route must keep to; a balanced plan's longest route
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
        if balance:
            orders, budget = _balanced_pyvrp(
                tt, st, candidates, prize, start, end, shift, pyvrp_time, seed
            )
        else:
            orders = _solve_pyvrp(tt, st, candidates, prize, start, end, shift, pyvrp_time, seed)
        pure_path = False

    first = sum(_route_travel(tt, [start[k], *st.node[o], end[k]]) for k, o in enumerate(orders))
    chosen = {i for o in orders for i in o}
    info: dict[str, Any] = {
        "method": "lkh" if pure_path else ("pyvrp+lkh" if use_lkh else "pyvrp"),
        "balanced": balance,
        "first_seconds": _time.perf_counter() - started,
        "first_objective": first
        + float(sum(prize[i] for i in range(len(prize)) if i not in chosen)),
    }
    if use_lkh and not pure_path:
        deadline = started + time_limit
        for k, order in enumerate(orders):
            left = deadline - _time.perf_counter()
            per_unit = max(0.9 * left / max(len(orders) - k, 1), 0.01)
            orders[k] = _polish(tt, st, order, start[k], end[k], budget, per_unit, seed)
    visited = {i for o in orders for i in o}
    dropped_idx = [i for i in candidates if i not in visited]
    orders = _insert_dropped(tt, st, orders, dropped_idx, prize, start, end, budget)
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
