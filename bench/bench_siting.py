"""Time exact post siting (maximal covering, MCLP) with HiGHS, beside greedy and peers.

Run from the repository root::

    python bench/bench_siting.py [--seed 0] [--k 10] [--time-limit 60]

Instances are made up (seeded): demand points clustered like incidents (two thirds around
40 hot spots, a third uniform) over a 10 km square, candidates uniform, and a candidate
covers a demand point within 800 m (straight line: this bench times the solver, the
coverage matrix from streets is timed in ``bench_network.py``). Weights are 1-5.

Times are wall clock with the process's CPU time beside (the machine is shared: CPU
time is what the solve itself cost). Two sizes: 2,000 demand × 100 candidates (target:
proven optimal ≤ 2 s) and 20,000 × 1,000 (target: ≤ 1 % gap within 60 s, gap reported).
For each it prints

- ours: :func:`gridmap.patrol.siting.maximal_covering` (identical demand rows merged,
  greedy improved by interchange, a Lagrangian bound and the candidates it rules out left
  out, then HiGHS on what is left with ``y`` continuous in [0, 1]);
- ours at a 1 % gap (``mip_rel_gap=0.01``: the bound alone often proves it);
- ours with binary ``y`` (same model, ``relax_y=False``);
- the plain textbook model (no merging, no bound, binary ``y``) in HiGHS, as spopt's ``MCLP``
  builds it (spopt itself when it is installed: it solves with PuLP/CBC);
- greedy.

The ratio column is the plain model's time over each row's.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from gridmap.patrol.siting import greedy_maximal_covering, maximal_covering

SIDE_M = 10_000.0
RADIUS_M = 800.0


def instance(n_demand: int, n_cand: int, seed: int) -> tuple[sp.csr_matrix, np.ndarray]:
    rng = np.random.default_rng(seed)
    hot = rng.uniform(0, SIDE_M, (40, 2))
    n_hot = 2 * n_demand // 3
    pts = np.vstack(
        [
            hot[rng.integers(0, 40, n_hot)] + rng.normal(0, 300, (n_hot, 2)),
            rng.uniform(0, SIDE_M, (n_demand - n_hot, 2)),
        ]
    )
    cands = rng.uniform(0, SIDE_M, (n_cand, 2))
    pairs = cKDTree(cands).query_ball_point(pts, RADIUS_M)
    rows = np.repeat(np.arange(n_demand), [len(p) for p in pairs])
    cols = np.concatenate([np.asarray(p, dtype=np.intp) for p in pairs])
    a = sp.csr_matrix((np.ones(len(rows), bool), (rows, cols)), shape=(n_demand, n_cand))
    return a, rng.integers(1, 6, n_demand).astype(float)


def spopt_peer(a: sp.csr_matrix, w: np.ndarray, k: int, time_limit: float) -> str:
    try:
        import pulp
        from spopt.locate import MCLP
    except ImportError:
        return "spopt not installed (pip install spopt): skipped"

    start = time.perf_counter()
    model = MCLP.from_cost_matrix(
        np.where(a.toarray(), 0.0, 2.0), w, service_radius=1.0, p_facilities=k
    )
    model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit))
    wall = time.perf_counter() - start
    return f"spopt MCLP (CBC) {wall:7.2f} s  objective {model.problem.objective.value():9.1f}"


def run(n_demand: int, n_cand: int, k: int, seed: int, time_limit: float) -> None:
    a, w = instance(n_demand, n_cand, seed)
    print(
        f"\n{n_demand:,} demand × {n_cand:,} candidates, k = {k}, "
        f"{a.nnz:,} covering pairs, total weight {w.sum():,.0f}"
    )
    rows = []
    for label, options in (
        ("ours (merged, bound, y ∈ [0,1])", {"mip_rel_gap": 1e-4}),
        ("ours, 1 % gap", {"mip_rel_gap": 0.01}),
        ("ours, binary y", {"relax_y": False, "mip_rel_gap": 1e-4}),
        (
            "plain model (HiGHS, binary y)",
            {"relax_y": False, "aggregate": False, "reduce": False, "mip_rel_gap": 1e-4},
        ),
    ):
        start, cpu = time.perf_counter(), time.process_time()
        r = maximal_covering(a, w, k, time_limit=time_limit, **options)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        rows.append((label, wall, r))
    plain_wall = rows[-1][1]
    for label, wall, r in rows:
        print(
            f"{label:34s} {wall:7.2f} s  ×{plain_wall / wall:5.1f}  objective {r.objective:9.1f}"
            f"  bound {r.dual_bound:9.1f}  gap {r.mip_gap * 100:6.3f} %  "
            f"{'proven within the gap asked' if r.optimal else r.status}"
        )
    start = time.perf_counter()
    g = greedy_maximal_covering(a, w, k)
    wall = time.perf_counter() - start
    hit = np.asarray(a[:, g].sum(axis=1)).ravel() > 0
    best = rows[0][2]
    print(
        f"{'greedy':34s} {wall:7.2f} s          objective {w[hit].sum():9.1f}  "
        f"({(best.objective - w[hit].sum()) / best.objective * 100:.2f} % below ours)"
    )
    print(f"{'':34s} {spopt_peer(a, w, k, time_limit)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    run(2_000, 100, args.k, args.seed, args.time_limit)
    run(20_000, 1_000, args.k, args.seed, args.time_limit)


if __name__ == "__main__":
    main()
