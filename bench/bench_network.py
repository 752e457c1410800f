"""Time nearest-post travel times on a 100,000-node street network.

Run from the repository root::

    python bench/bench_network.py [--side 317] [--posts 50] [--seed 0] [--repeat 5]

The network is made up at run time (seeded): a ``side × side`` lattice of junctions 80 m
apart, each jittered by up to 10 m, with 8 % of the blocks' sides removed (dead ends, missing
links) and a random fifth of the streets tagged ``residential``/``primary``/``footway``, as
a ``streets`` GeoDataFrame of two-point LineStrings in UTM zone 50N (Beijing's zone).

Prints medians of `--repeat` runs (after a warm-up) of

- building the walking graph from the GeoDataFrame (target ≤ 1 s);
- ours: :func:`gridmap.patrol.network.travel_times_from` with the posts snapped (virtual
  nodes), and with node ids;
- the floor: :func:`scipy.sparse.csgraph.dijkstra` (``min_only``) on the prebuilt CSR
  (target: ours ≤ 2×);
- networkx :func:`~networkx.multi_source_dijkstra_path_length` on the same graph
  (target: ours ≥ 10× faster), checked equal to ours.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from scipy.sparse import csgraph

from gridmap.patrol.network import snap_points, street_graph, travel_times_from

CRS = "EPSG:32650"
SPACING_M = 80.0


def synthetic_streets(side: int, seed: int) -> gpd.GeoDataFrame:
    """A jittered lattice street network of about ``side²`` junctions."""
    rng = np.random.default_rng(seed)
    ix, iy = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    x = 400_000 + ix * SPACING_M + rng.uniform(-10, 10, ix.shape)
    y = 4_400_000 + iy * SPACING_M + rng.uniform(-10, 10, iy.shape)
    xy = np.stack([x.ravel(), y.ravel()], axis=1)
    node = np.arange(side * side).reshape(side, side)
    a = np.concatenate([node[:-1, :].ravel(), node[:, :-1].ravel()])
    b = np.concatenate([node[1:, :].ravel(), node[:, 1:].ravel()])
    keep = rng.random(len(a)) > 0.08
    a, b = a[keep], b[keep]
    coords = np.stack([xy[a], xy[b]], axis=1).reshape(-1, 2)
    lines = shapely.linestrings(coords, indices=np.repeat(np.arange(len(a)), 2))
    highway = rng.choice(
        ["residential", "primary", "footway", "unclassified"], len(a), p=[0.1, 0.05, 0.05, 0.8]
    )
    return gpd.GeoDataFrame({"highway": highway}, geometry=lines, crs=CRS)


CPU: dict[int, float] = {}


def median_time(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of `repeat` runs; the median CPU time goes to ``CPU[id(fn)]``.

    The machine is shared: CPU time (``time.process_time``) is what the run itself cost.
    """
    fn()
    times, cpu = [], []
    for _ in range(repeat):
        start, cstart = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cstart)
    CPU[id(fn)] = statistics.median(cpu)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--side", type=int, default=317)
    parser.add_argument("--posts", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    streets = synthetic_streets(args.side, args.seed)
    build_fn = lambda: street_graph(streets, mode="walk", crs=CRS)  # noqa: E731
    build = median_time(build_fn, args.repeat)
    graph = street_graph(streets, mode="walk", crs=CRS)
    rng = np.random.default_rng(args.seed + 1)
    post_nodes = rng.choice(graph.nodes, args.posts, replace=False)
    posts = gpd.GeoSeries(
        shapely.points(graph.node_x[post_nodes] + 7, graph.node_y[post_nodes] + 3), crs=CRS
    )
    snapped = snap_points(graph, posts)
    csr = graph.csr

    t_snap = median_time(lambda: snap_points(graph, posts), args.repeat)
    t_ours_snapped = median_time(lambda: travel_times_from(graph, snapped), args.repeat)
    t_ours_nodes = median_time(lambda: travel_times_from(graph, post_nodes), args.repeat)
    t_scipy = median_time(
        lambda: csgraph.dijkstra(csr, indices=post_nodes, min_only=True), args.repeat
    )
    start = time.perf_counter()
    nxg = graph.graph
    t_nx_build = time.perf_counter() - start
    nx_repeat = max(1, args.repeat // 2)
    t_nx = median_time(
        lambda: nx.multi_source_dijkstra_path_length(nxg, set(post_nodes.tolist()), weight="time"),
        nx_repeat,
    )
    ref = nx.multi_source_dijkstra_path_length(nxg, set(post_nodes.tolist()), weight="time")
    ours = travel_times_from(graph, post_nodes).time
    keys = np.fromiter(ref, dtype=np.intp)
    err = float(np.abs(ours[keys] - np.fromiter(ref.values(), dtype=float)).max())
    assert np.isfinite(ours).sum() == len(ref)

    print(
        f"network: {graph.n_nodes:,} nodes, {len(graph.edge_u):,} directed edges, "
        f"{len(streets):,} street rows; {args.posts} posts; medians of {args.repeat} runs"
    )
    print(
        f"build graph from GeoDataFrame      {build * 1e3:8.1f} ms   (target ≤ 1000 ms; "
        f"CPU {CPU[id(build_fn)] * 1e3:.0f} ms)"
    )
    print(f"snap {args.posts} posts                      {t_snap * 1e3:8.1f} ms")
    print(f"ours, snapped posts (virtual nodes) {t_ours_snapped * 1e3:8.1f} ms")
    print(f"ours, post nodes                    {t_ours_nodes * 1e3:8.1f} ms")
    print(f"scipy dijkstra(min_only) on CSR     {t_scipy * 1e3:8.1f} ms")
    print(f"networkx multi_source_dijkstra      {t_nx * 1e3:8.1f} ms   (graph built lazily in "
          f"{t_nx_build:.1f} s)")  # fmt: skip
    print(f"ratio ours(snapped)/scipy           {t_ours_snapped / t_scipy:8.2f}   (target ≤ 2)")
    print(f"ratio ours(nodes)/scipy             {t_ours_nodes / t_scipy:8.2f}")
    print(f"speed-up over networkx (snapped)    {t_nx / t_ours_snapped:8.1f}×  (target ≥ 10×)")
    print(f"max |ours - networkx|               {err:.2e} s")


if __name__ == "__main__":
    main()
