"""Route-solver quality on TSPLIB instances with known optima: ours against OR-Tools and PyVRP.

Run from the repository root (the instances are in ``../shared/tsplib``, beside the clone)::

    python bench/bench_tsp.py [--tsplib ../shared/tsplib] [--repeat 3] [--small-limit 2]
                              [--large-limit 30] [--only kroA100,qa194]

Every instance is a single unit leaving city 1 and coming back after visiting every other
city (no dwell, no budget): a travelling-salesman tour. Distances are TSPLIB EUC_2D
(``int(sqrt(dx² + dy²) + 0.5)``), the measure of the known optimum. In the same run, each with
the same wall-clock limit (2 s up to 237 cities, 30 s for uy734 and lu980):

* ``ours``: :func:`gridmap.patrol.routing.plan_patrol_routes` (LKH-3 through elkai when
  installed, else PyVRP);
* ``pyvrp``: PyVRP's ``solve`` with default parameters and ``MaxRuntime``;
* ``ortools``: OR-Tools routing, path-cheapest-arc then guided local search.

Targets: ours within 0.5 % of the optimum in ≤ 2 s up to 237 cities, within 2 % in ≤ 30 s on
uy734 and lu980. Prints per solver the median gap and wall time over `--repeat` seeds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from gridmap.patrol.routing import lkh_available, plan_patrol_routes

SMALL = ["kroA100", "XQF131", "qa194", "XQG237"]
LARGE = ["uy734", "lu980"]


def read_instance(path: Path) -> tuple[np.ndarray, int]:
    lines = path.read_text().split("\n")
    n, best = int(lines[0]), int(lines[1])
    xy = np.array([[float(v) for v in line.split()[1:3]] for line in lines[2 : 2 + n]])
    dist = np.floor(np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1)) + 0.5)
    return dist.astype(np.int64), best


def tour_length(dist: np.ndarray, tour: list[int]) -> int:
    t = np.asarray(tour)
    return int(dist[t, np.roll(t, -1)].sum())


def ours(dist: np.ndarray, limit: float, seed: int) -> int:
    n = len(dist)
    stops = pd.DataFrame({"stop": range(1, n), "node": range(1, n), "dwell": 0})
    plan = plan_patrol_routes(
        dist, stops, pd.DataFrame({"start": [0]}), shift=1e12, time_limit=limit, seed=seed
    )
    return tour_length(dist, plan.routes[0].nodes[:-1])


def pyvrp_default(dist: np.ndarray, limit: float, seed: int) -> int:
    import pyvrp
    from pyvrp.stop import MaxRuntime

    n = len(dist)
    data = pyvrp.ProblemData(
        [pyvrp.Location(0.0, 0.0) for _ in range(n)],
        [pyvrp.Client(location=i) for i in range(1, n)],
        [pyvrp.Depot(location=0)],
        [pyvrp.VehicleType(1)],
        [dist],
        [dist],
    )
    res = pyvrp.solve(data, MaxRuntime(limit), seed=seed, display=False)
    tour = [0] + [a.idx + 1 for a in res.best.routes()[0].schedule() if a.is_client()]
    return tour_length(dist, tour)


def ortools_gls(dist: np.ndarray, limit: float, seed: int) -> int:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = len(dist)
    manager = pywrapcp.RoutingIndexManager(n, 1, 0)
    model = pywrapcp.RoutingModel(manager)
    transit = model.RegisterTransitMatrix(dist.tolist())
    model.SetArcCostEvaluatorOfAllVehicles(transit)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(limit * 1000))
    sol = model.SolveWithParameters(params)
    tour, index = [], model.Start(0)
    while not model.IsEnd(index):
        tour.append(manager.IndexToNode(index))
        index = sol.Value(model.NextVar(index))
    return tour_length(dist, tour)


SOLVERS = {"ours": ours, "pyvrp": pyvrp_default, "ortools": ortools_gls}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tsplib", default="../shared/tsplib")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--small-limit", type=float, default=2.0)
    parser.add_argument("--large-limit", type=float, default=30.0)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    folder = Path(args.tsplib)
    if not folder.is_dir():
        print(f"skipped: TSPLIB folder {folder} not found (expected ../shared/tsplib)")
        return 0
    print(f"LKH-3 (elkai) installed: {lkh_available()}; repeat {args.repeat}, medians")
    names = [n for n in SMALL + LARGE if not args.only or n in args.only.split(",")]
    failed = []
    print(f"{'instance':10} {'solver':8} {'gap %':>8} {'seconds':>8}")
    for name in names:
        path = folder / f"{name}.tsp"
        if not path.exists():
            print(f"{name}: missing, skipped")
            continue
        dist, best = read_instance(path)
        limit = args.small_limit if name in SMALL else args.large_limit
        target = 0.5 if name in SMALL else 2.0
        results: dict[str, list[tuple[float, float]]] = {s: [] for s in SOLVERS}
        for seed in range(args.repeat):  # interleaved, so load hits every solver alike
            for solver, fn in SOLVERS.items():
                t = time.perf_counter()
                length = fn(dist, limit, seed)
                results[solver].append((100 * (length / best - 1), time.perf_counter() - t))
        for solver, runs in results.items():
            gap = statistics.median(g for g, _ in runs)
            secs = statistics.median(s for _, s in runs)
            mark = ""
            if solver == "ours":
                ok = gap <= target and secs <= limit * 1.05
                mark = f"  target ≤{target}% in ≤{limit:.0f}s: {'ok' if ok else 'MISSED'}"
                if not ok:
                    failed.append(name)
            print(f"{name:10} {solver:8} {gap:8.3f} {secs:8.2f}{mark}", flush=True)
    if failed:
        print(f"targets missed on: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
