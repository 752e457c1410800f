"""PyVRP (Wouda, Lan & Kool 2024, hybrid genetic search): which unit visits which stops.

Part of :mod:`gridmap.patrol.routing`.
"""

from __future__ import annotations

import numpy as np

from gridmap.patrol._route_matrix import FloatArray, _int_matrix
from gridmap.patrol._route_stops import _Stops

#: PyVRP finishes its last iteration after its time limit: it is given this share.
PYVRP_SAFETY = 0.93


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
