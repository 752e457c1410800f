"""PyVRP (Wouda, Lan & Kool 2024, hybrid genetic search): which unit visits which stops.

Part of :mod:`gridmap.patrol.routing`. PyVRP minimises travel: when one unit's shift has
room for every stop it may take them all and leave the others at their posts.
:func:`_balanced_pyvrp` shortens the longest route instead (the makespan), by bisection on
a cap of each route's duration, the one lever PyVRP offers for it.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from gridmap.patrol._route_matrix import FloatArray, _int_matrix
from gridmap.patrol._route_stops import _finish, _Stops

#: PyVRP finishes its last iteration after its time limit: it is given this share.
PYVRP_SAFETY = 0.96
#: Solves of a balanced plan: the unbalanced one, then this many probes of the bisection on
#: the longest route's duration, each given an equal share of the time. Five halve the gap
#: between the even share and the unbalanced longest route 2^5 = 32 times.
BALANCE_PROBES = 5


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
    *,
    max_duration: float | None = None,
) -> list[list[int]]:
    """Stop indices (into `st`) per unit, in PyVRP's order.

    `max_duration` caps every route's duration (seconds from leaving the post to arriving
    at the end post) below the shift.
    """
    import pyvrp
    from pyvrp.exceptions import PenaltyBoundWarning
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
            shift_duration=int(shift if max_duration is None else min(shift, max_duration)),
        )
        for s, e in zip(start, end, strict=True)
    ]
    data = pyvrp.ProblemData(locations, clients, depots, vehicles, [mat], [mat])
    with warnings.catch_warnings():
        # A penalty at its bound means PyVRP found no feasible plan quickly, which a tight
        # cap of the balancing bisection provokes on purpose; `is_feasible` below decides.
        warnings.simplefilter("ignore", PenaltyBoundWarning)
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


def _balanced_pyvrp(
    tt: FloatArray,
    st: _Stops,
    candidates: list[int],
    prize: FloatArray,
    start: list[int],
    end: list[int],
    shift: float,
    time_limit: float,
    seed: int,
) -> tuple[list[list[int]], float]:
    """Stop orders per unit whose longest route is as short as bisection finds.

    Minimising the longest route (the makespan, min-max VRP) is not an objective of PyVRP,
    but a cap on every route's duration is (``VehicleType.shift_duration``): so the
    min-max problem is solved as a sequence of capped ones, the classic reduction. The
    plan without a cap comes first; its longest route is the upper end of the search, its
    total work spread evenly over the units (and no less than the longest single stop's
    round trip) the lower end. Under a cap, the stops the uncapped plan serves are
    required: left optional, a unit far from them was never sent (its walk there costs
    more travel than their priority is worth) and stops were dropped instead. A cap is kept
    when PyVRP finds a plan under it, which then drops no more value than the uncapped
    one: balancing never buys a shorter longest route with stops left out. Each solve gets
    an equal share of `time_limit`.

    Returns
    -------
    orders, longest
        The orders of the plan kept and its longest route's duration (seconds), the budget
        later improvements (LKH-3 orders, re-inserted stops) must keep to.
    """
    share = time_limit / (BALANCE_PROBES + 1)
    orders = _solve_pyvrp(tt, st, candidates, prize, start, end, shift, share, seed)

    def measure(plan: list[list[int]]) -> tuple[float, float]:
        served = {i for o in plan for i in o}
        lost = sum(np.inf if st.required[i] else prize[i] for i in candidates if i not in served)
        longest = max(_finish(tt, st, o, s, e) for o, s, e in zip(plan, start, end, strict=True))
        return float(lost), longest

    lost, best = measure(orders)
    if len(start) < 2 or not np.isfinite(lost) or not candidates:
        return orders, best
    work = sum(_finish(tt, st, o, s, e) for o, s, e in zip(orders, start, end, strict=True))
    served = [i for o in orders for i in o]
    alone = [
        min(_finish(tt, st, [i], s, e) for s, e in zip(start, end, strict=True)) for i in served
    ]
    low = max(work / len(start), max(alone, default=0.0))
    must = st.priority.copy()
    must[served] = np.nan  # NaN: required
    kept = dataclasses.replace(st, priority=must)
    for _ in range(BALANCE_PROBES):
        if best - low < 1.0:  # within a second: PyVRP's integer seconds cannot tell apart
            break
        cap = (low + best) / 2
        trial = _solve_pyvrp(
            tt, kept, candidates, prize, start, end, shift, share, seed, max_duration=cap
        )
        trial_lost, trial_longest = measure(trial)
        if trial_lost <= lost + 1e-9 and trial_longest < best:
            orders, best = trial, trial_longest
        else:
            low = cap
    return orders, best
