"""The Patrol routes page's answer on the sample, step by step, and leg tracing against networkx.

Run from the repository root::

    python bench/bench_patrol_routes_page.py [--repeat 3] [--time-limit 2]

One unit from a post through the sample's 8 schools and 6 malls (walking, 4-hour shift):
snapping and the travel-time matrix, the solver (PyVRP, LKH-3 when installed; it runs for
its time limit), tracing every leg along the streets, and the map. In the same run the legs
are traced again the obvious way, ``networkx.shortest_path`` (Dijkstra) on the street
graph's ``MultiDiGraph`` between the places' nearest intersections, joining the edges'
geometries (coarser than ours: it stops at intersections, not at the snapped places), and
the ratio printed.
The networkx graph is built once beforehand and not counted against it.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

import networkx as nx
import shapely

from gridmap import datasets
from gridmap.patrol import route_maps, route_views
from gridmap.patrol._legs import trace_legs
from gridmap.patrol.network import street_graph
from gridmap.store import GeoPackageStore


def timed(fn, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=2.0)
    args = parser.parse_args()
    store = GeoPackageStore(datasets.get_path("helsinki"))
    streets, posts, sites = store.read("streets"), store.read("posts"), store.read("sites")
    t_graph, graph = timed(
        lambda: street_graph(streets, mode="walk", crs=store.working_crs()), args.repeat
    )
    stops = route_views.candidate_stops(sites=sites, site_kinds=["school", "mall"])
    chosen = posts[posts["post_id"] == "P01"]
    t_snap, _ = timed(lambda: route_views.snap_places(graph, chosen, stops), args.repeat)
    t_plan, result = timed(
        lambda: route_views.plan_routes(
            graph, posts, stops, start_posts=["P01"], time_limit=args.time_limit
        ),
        1,
    )
    t_trace, _ = timed(lambda: trace_legs(result.places, result.plan), args.repeat)
    t_map, _ = timed(
        lambda: route_maps.route_map(result, streets=streets, lang="zh").get_root().render(),
        args.repeat,
    )
    nxg = graph.graph
    xy = result.places.table[["x", "y"]].to_numpy()
    table = result.places.table
    seg = graph.segments
    ends = [
        int(seg["u"].iat[s]) if p < seg["length"].iat[s] / 2 else int(seg["v"].iat[s])
        for s, p in zip(table["segment"], table["position"], strict=True)
    ]

    def networkx_legs() -> int:
        count = 0
        for route in result.plan.routes:
            for a, b in zip(route.nodes[:-1], route.nodes[1:], strict=True):
                path = nx.shortest_path(nxg, ends[a], ends[b], weight="time")
                coords = []
                for x, y in itertools.pairwise(path):
                    edge = min(nxg[x][y].values(), key=lambda d: d["time"])
                    coords += shapely.get_coordinates(edge["geometry"]).tolist()
                count += len(coords)
        return count

    t_nx, _ = timed(networkx_legs, args.repeat)
    stops_n = len(result.plan.routes[0].stops)
    print(
        f"sample: {graph.n_nodes} intersections, {len(stops)} stops, {stops_n} visited, "
        f"{len(xy)} places"
    )
    print(f"street graph (walk)            {t_graph:7.3f} s")
    print(f"snap + travel-time matrix      {t_snap:7.3f} s")
    print(f"whole plan_routes (solver {args.time_limit:g} s) {t_plan:7.3f} s")
    print(f"trace legs (ours, csgraph)     {t_trace:7.3f} s")
    print(
        f"trace legs (networkx Dijkstra) {t_nx:7.3f} s   ratio networkx/ours {t_nx / t_trace:5.1f}×"
    )
    print(f"map (folium, rendered)         {t_map:7.3f} s")


if __name__ == "__main__":
    main()
