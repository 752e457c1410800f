"""A patrol day: our planner against PyVRP alone and OR-Tools on the same seeded instance.

Run from the repository root::

    python bench/bench_patrol_day.py [--repeat 5] [--limit 2]

The instance (seeded, synthetic): a 3 × 3 km district, walking at 1.3 m/s on a Manhattan
metric; 2 posts; 3 walking units (two from the first post, one from the second, each back at
its own post); 60 optional stops with priorities 1-5 (each point worth
:data:`~gridmap.patrol.routing.PRIORITY_VALUE` = 10 min of travel); 12-minute dwell at every
stop; a 4-hour shift; 10 of the stops must be visited within a 60-minute window somewhere in
the shift. The objective is what the planner minimises: travel time + value of the dropped
stops (seconds, lower is better). Each solver gets the same wall-clock `--limit`:

* ``ours``: :func:`plan_patrol_routes` (PyVRP, LKH-3 polish when elkai is installed, then
  re-insertion of dropped stops);
* ``pyvrp``: PyVRP's ``solve`` with defaults on the same model (its best solution);
* ``ortools``: OR-Tools routing with disjunction penalties, a time dimension with windows
  and service times, guided local search.

Every solution is re-simulated with :mod:`gridmap.patrol.simulate` (windows, shift, dwell).
Target: ours at least as good as PyVRP's best in ≤ 2 s. Prints medians over seeds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
import pandas as pd

from gridmap.patrol.routing import DWELL_HOTSPOT, PRIORITY_VALUE, plan_patrol_routes
from gridmap.patrol.simulate import simulate_route

SHIFT = 4 * 3600
WALK = 1.3


def instance(seed: int) -> tuple[np.ndarray, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    posts = np.array([[900.0, 1000.0], [2100.0, 2000.0]])
    xy = np.vstack([posts, rng.uniform(0, 3000, (60, 2))])
    times = np.rint(np.abs(xy[:, None] - xy[None]).sum(axis=2) / WALK)
    stops = pd.DataFrame(
        {
            "stop": [f"H{i:02d}" for i in range(60)],
            "node": np.arange(2, 62),
            "priority": rng.integers(1, 6, 60).astype(float),
        }
    )
    stops["open"] = np.nan
    stops["close"] = np.nan
    timed = rng.choice(60, 10, replace=False)
    opens = rng.integers(0, (SHIFT - 3600) // 60, 10) * 60.0
    stops.loc[timed, "open"] = opens
    stops.loc[timed, "close"] = opens + 3600
    units = pd.DataFrame({"unit": ["W1", "W2", "W3"], "start": [0, 0, 1]})
    return times, stops, units


def evaluate(times, stops, units, routes: list[list[int]]) -> float:
    """Travel + value of dropped stops for `routes` (stop row indices per unit), re-simulated."""
    travel, seen = 0.0, set()
    for k, order in enumerate(routes):
        post = int(units["start"].iloc[k])
        nodes = [post, *stops["node"].iloc[order], post]
        windows = [None]
        for i in order:
            o, c = stops["open"].iloc[i], stops["close"].iloc[i]
            windows.append(None if np.isnan(o) else (o, c))
        windows.append(None)
        report = simulate_route(
            times,
            nodes,
            dwell=[0, *[DWELL_HOTSPOT] * len(order), 0],
            windows=windows,
            shift=SHIFT,
            tolerance=1e-3,
        )
        if not report.ok:
            return float("inf")
        travel += report.travel_time
        seen |= set(order)
    dropped = [i for i in range(len(stops)) if i not in seen]
    return travel + float(stops["priority"].iloc[dropped].sum()) * PRIORITY_VALUE


def ours(times, stops, units, limit, seed):
    plan = plan_patrol_routes(times, stops, units, shift=SHIFT, time_limit=limit, seed=seed)
    index = {s: i for i, s in enumerate(stops["stop"])}
    return [[index[s] for s in r.stops] for r in plan.routes]


def pyvrp_best(times, stops, units, limit, seed):
    import pyvrp
    from pyvrp.stop import MaxRuntime

    m = pyvrp.Model()
    locs = [m.add_location(0.0, 0.0) for _ in range(len(times))]
    depots = [m.add_depot(locs[0]), m.add_depot(locs[1])]
    for s in units["start"]:
        m.add_vehicle_type(
            1,
            start_depot=depots[s],
            end_depot=depots[s],
            tw_late=SHIFT,
            start_late=0,
            shift_duration=SHIFT,
        )
    for row in stops.itertuples():
        has = not np.isnan(row.open)
        m.add_client(
            locs[row.node],
            service_duration=DWELL_HOTSPOT,
            tw_early=int(row.open) if has else 0,
            tw_late=int(row.close - DWELL_HOTSPOT) if has else SHIFT,
            prize=int(row.priority * PRIORITY_VALUE),
            required=False,
        )
    for i in range(len(times)):
        for j in range(len(times)):
            m.add_edge(locs[i], locs[j], distance=int(times[i, j]), duration=int(times[i, j]))
    res = m.solve(MaxRuntime(limit), seed=seed, display=False)
    out: list[list[int]] = [[] for _ in range(len(units))]
    for r in res.best.routes():
        out[r.vehicle_type()] = [a.idx for a in r.schedule() if a.is_client()]
    return out


def ortools_gls(times, stops, units, limit, seed):
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    nodes = [0, 1, *stops["node"]]  # routing node 0, 1 = posts, 2.. = stops
    sub = times[np.ix_(nodes, nodes)].astype(int)
    service = np.array([0, 0, *[DWELL_HOTSPOT] * len(stops)])
    starts = [int(s) for s in units["start"]]
    manager = pywrapcp.RoutingIndexManager(len(nodes), len(units), starts, starts)
    model = pywrapcp.RoutingModel(manager)
    cost = model.RegisterTransitMatrix(sub.tolist())
    model.SetArcCostEvaluatorOfAllVehicles(cost)
    timed = (sub + service[:, None]).tolist()  # travel plus the dwell at the origin
    time_cb = model.RegisterTransitMatrix(timed)
    model.AddDimension(time_cb, SHIFT, SHIFT, True, "time")
    dim = model.GetDimensionOrDie("time")
    for k, row in enumerate(stops.itertuples()):
        index = manager.NodeToIndex(k + 2)
        if not np.isnan(row.open):
            dim.CumulVar(index).SetRange(int(row.open), int(row.close - DWELL_HOTSPOT))
        model.AddDisjunction([index], int(row.priority * PRIORITY_VALUE))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(limit * 1000))
    sol = model.SolveWithParameters(params)
    out: list[list[int]] = []
    for v in range(len(units)):
        order, index = [], sol.Value(model.NextVar(model.Start(v)))
        while not model.IsEnd(index):
            order.append(manager.IndexToNode(index) - 2)
            index = sol.Value(model.NextVar(index))
        out.append(order)
    return out


SOLVERS = {"ours": ours, "pyvrp": pyvrp_best, "ortools": ortools_gls}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--limit", type=float, default=2.0)
    args = parser.parse_args()
    scores: dict[str, list[float]] = {s: [] for s in SOLVERS}
    seconds: dict[str, list[float]] = {s: [] for s in SOLVERS}
    wins = 0
    print("seed  " + "  ".join(f"{s:>16}" for s in SOLVERS))
    for seed in range(args.repeat):
        times, stops, units = instance(seed)
        row = {}
        for name, fn in SOLVERS.items():
            t = time.perf_counter()
            routes = fn(times, stops, units, args.limit, seed)
            seconds[name].append(time.perf_counter() - t)
            row[name] = evaluate(times, stops, units, routes)
            scores[name].append(row[name])
        wins += row["ours"] <= row["pyvrp"] + 1e-6
        print(
            f"{seed:4d}  " + "  ".join(f"{row[s]:9.0f} {seconds[s][-1]:5.2f}s" for s in SOLVERS),
            flush=True,
        )
    print(
        "median"
        + "  ".join(
            f"{statistics.median(scores[s]):9.0f} {statistics.median(seconds[s]):5.2f}s"
            for s in SOLVERS
        )
    )
    print(
        f"ours at least as good as PyVRP's best on {wins}/{args.repeat} seeds "
        "(objective = travel s + dropped priority × 600 s)"
    )
    return 0 if wins == args.repeat else 1


if __name__ == "__main__":
    sys.exit(main())
