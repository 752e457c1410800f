"""Line patrols: every street walked, and the shortest such walk (brute force on small graphs)."""

from __future__ import annotations

import itertools
from collections import Counter

import networkx as nx
import numpy as np
import pytest

from gridmap import ValidationError
from gridmap.patrol.postman import min_weight_matching, postman_route


def random_streets(n: int, extra: int, seed: int) -> nx.Graph:
    rng = np.random.default_rng(seed)
    g = (
        nx.random_labeled_tree(n, seed=seed)
        if hasattr(nx, "random_labeled_tree")
        else nx.random_tree(n, seed=seed)
    )
    nodes = list(g.nodes)
    while g.number_of_edges() < n - 1 + extra:
        a, b = rng.choice(nodes, 2, replace=False)
        g.add_edge(int(a), int(b))
    for a, b in g.edges:
        g.edges[a, b]["length"] = float(rng.integers(10, 200))
    return g


def brute_force_length(g: nx.Graph) -> float:
    odd = [x for x, d in g.degree if d % 2]
    dist = dict(nx.all_pairs_dijkstra_path_length(g, weight="length"))

    def best(rest: list) -> float:
        if not rest:
            return 0.0
        a, others = rest[0], rest[1:]
        return min(dist[a][b] + best([c for c in others if c != b]) for b in others)

    return g.size(weight="length") + best(odd)


def assert_covers(route, g: nx.Graph) -> None:
    assert route.nodes[0] == route.nodes[-1]
    walked = Counter(frozenset((a, b)) for a, b, _ in route.edges)
    for a, b in g.edges:
        assert walked[frozenset((a, b))] >= 1
    for (a, _b, _), (c, _d) in zip(route.edges, itertools.pairwise(route.nodes), strict=True):
        assert a == c
    total = sum(g.edges[a, b]["length"] for a, b, _ in route.edges)
    assert total == pytest.approx(route.length)


@pytest.mark.parametrize("seed", range(8))
def test_equals_brute_force_on_small_graphs(seed):
    g = random_streets(9, 4, seed)
    route = postman_route(g)
    assert_covers(route, g)
    assert route.length == pytest.approx(brute_force_length(g))
    assert route.street_length == pytest.approx(g.size(weight="length"))


def test_candidates_all_agrees_with_near():
    g = nx.grid_2d_graph(7, 6)
    rng = np.random.default_rng(3)
    for a, b in g.edges:
        g.edges[a, b]["length"] = float(rng.uniform(50, 120))
    g.remove_edges_from(list(g.edges)[::5])
    g = g.subgraph(max(nx.connected_components(g), key=len)).copy()
    near = postman_route(g)
    full = postman_route(g, candidates="all")
    assert near.length == pytest.approx(full.length)
    assert_covers(near, g)


def test_eulerian_graph_needs_no_repeat():
    g = nx.cycle_graph(6)
    nx.set_edge_attributes(g, 10.0, "length")
    route = postman_route(g, start=3)
    assert route.repeated == 0
    assert route.length == 60
    assert route.nodes[0] == 3


def test_multigraph_parallel_streets_each_walked():
    g = nx.MultiGraph()
    g.add_edge("a", "b", length=10)
    g.add_edge("a", "b", length=30)
    g.add_edge("b", "c", length=5)
    route = postman_route(g)
    assert sorted(k for _, _, k in route.edges) == [0, 0, 1, 1] or route.repeated == 1
    assert route.length == pytest.approx(10 + 30 + 5 + 5)


def test_directed_one_way_streets():
    g = nx.DiGraph()
    # a one-way loop a→b→c→a plus a two-way street c–d
    g.add_edge("a", "b", length=100)
    g.add_edge("b", "c", length=100)
    g.add_edge("c", "a", length=100)
    g.add_edge("c", "d", length=50)
    g.add_edge("d", "c", length=50)
    g.add_edge("a", "d", length=40)  # one-way shortcut: d has 2 in, 1 out
    route = postman_route(g, start="a")
    arcs = Counter((a, b) for a, b, _ in route.edges)
    assert all(arcs[e] >= 1 for e in g.edges)
    assert all(g.has_edge(a, b) for a, b in arcs)  # never against a one-way street
    # 440 m of street; d is entered twice and left once, a the reverse: repeat d→c→a (150)
    assert route.length == pytest.approx(440 + 150)


def test_directed_brute_force_small():
    rng = np.random.default_rng(0)
    for seed in range(5):
        g = nx.DiGraph(nx.random_k_out_graph(6, 2, 1.0, self_loops=False, seed=seed))
        if not nx.is_strongly_connected(g):
            continue
        for a, b in g.edges:
            g.edges[a, b]["length"] = float(rng.integers(5, 50))
        route = postman_route(g)
        # lower bound = min-cost flow on imbalances; networkx's own network simplex
        h = nx.DiGraph()
        for a, b, d in g.edges(data=True):
            h.add_edge(a, b, weight=int(d["length"]))
        for x in g.nodes:
            h.nodes[x]["demand"] = g.out_degree(x) - g.in_degree(x)
        extra = nx.min_cost_flow_cost(h)
        assert route.length == pytest.approx(g.size(weight="length") + extra)


def test_errors():
    g = nx.Graph()
    with pytest.raises(ValidationError, match="no streets"):
        postman_route(g)
    g.add_edge(1, 2, length=5)
    g.add_edge(3, 4, length=5)
    with pytest.raises(ValidationError, match="not connected"):
        postman_route(g)
    d = nx.DiGraph()
    d.add_edge(1, 2, length=1)
    d.add_edge(2, 3, length=1)
    with pytest.raises(ValidationError, match="strongly connected"):
        postman_route(d)
    g = nx.path_graph(3)
    with pytest.raises(ValidationError, match="`length` attribute"):
        postman_route(g)
    nx.set_edge_attributes(g, 1.0, "length")
    with pytest.raises(ValidationError, match="`start`"):
        postman_route(g, start=99)


def test_matching_lp_equals_blossom():
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 100, (40, 2))
    d = np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))
    lp = min_weight_matching(d)
    g = nx.complete_graph(40)
    for a, b in g.edges:
        g.edges[a, b]["weight"] = d[a, b]
    ref = nx.min_weight_matching(g)
    assert sum(d[a, b] for a, b in lp) == pytest.approx(sum(d[a, b] for a, b in ref))


def street_grid(side: int, drop: float, seed: int) -> nx.Graph:
    """A jittered grid of streets with some removed (kept connected), lengths in metres."""
    rng = np.random.default_rng(seed)
    g = nx.grid_2d_graph(side, side)
    pos = {x: (80.0 * x[0] + rng.uniform(-20, 20), 80.0 * x[1] + rng.uniform(-20, 20)) for x in g}
    edges = list(g.edges)
    for k in rng.permutation(len(edges))[: int(drop * len(edges))]:
        a, b = edges[k]
        g.remove_edge(a, b)
        if not nx.has_path(g, a, b):
            g.add_edge(a, b)
    for a, b in g.edges:
        g.edges[a, b]["length"] = float(np.hypot(*np.subtract(pos[a], pos[b])))
    return g


@pytest.mark.parametrize("seed", range(4))
def test_near_candidates_equal_the_complete_graph_on_medium_networks(seed):
    g = street_grid(14, 0.1 + 0.05 * seed, seed)
    odd = sum(1 for _, d in g.degree if d % 2)
    assert odd > 50  # a real matching problem, not a toy
    near = postman_route(g)
    full = postman_route(g, candidates="all")
    assert near.length == pytest.approx(full.length, rel=1e-12)
    assert_covers(near, g)
    # and the complete-graph matching equals networkx's own blossom on the same distances
    odd_nodes = [x for x, d in g.degree if d % 2]
    dist = dict(nx.all_pairs_dijkstra_path_length(g, weight="length"))
    k = nx.complete_graph(odd_nodes)
    for a, b in k.edges:
        k.edges[a, b]["weight"] = dist[a][b]
    pairs = nx.min_weight_matching(k)
    ref = g.size(weight="length") + sum(dist[a][b] for a, b in pairs)
    assert full.length == pytest.approx(ref, rel=1e-9)


def test_few_near_candidates_still_pair_everyone():
    # two far-apart clusters of three odd nodes each (0, 1, 2 and 10, 11, 12): each node's
    # 1 nearest stays inside its cluster, so the candidates hold no perfect pairing until
    # they are widened
    g = nx.star_graph(3)  # centre 0 (degree 3) and leaves 1-3
    nx.set_edge_attributes(g, 1.0, "length")
    g.add_edge(3, 10, length=1000.0)  # leaf 3 becomes even
    g.add_edges_from([(10, 11), (10, 12)], length=1.0)
    route = postman_route(g, near=1)
    assert route.length == pytest.approx(postman_route(g, candidates="all").length)
    assert route.length == pytest.approx(brute_force_length(g))


def test_directed_medium_network_equals_network_simplex():
    rng = np.random.default_rng(5)
    base = street_grid(14, 0.15, 5)
    d = nx.DiGraph()
    for a, b, length in base.edges(data="length"):
        r = rng.random()
        if r >= 0.15:
            d.add_edge(a, b, length=length)
        if r < 0.15 or r >= 0.3:
            d.add_edge(b, a, length=length)
    d = d.subgraph(max(nx.strongly_connected_components(d), key=len)).copy()
    route = postman_route(d)
    arcs = Counter((a, b) for a, b, _ in route.edges)
    assert all(arcs[e] >= 1 for e in d.edges)
    assert all(d.has_edge(*e) for e in arcs)
    assert route.nodes[0] == route.nodes[-1]
    h = nx.DiGraph()
    for a, b, length in d.edges(data="length"):
        h.add_edge(a, b, weight=round(length * 1000))
    for x in d:
        h.nodes[x]["demand"] = d.out_degree(x) - d.in_degree(x)
    ref = d.size(weight="length") + nx.min_cost_flow_cost(h) / 1000
    assert route.length == pytest.approx(ref, abs=1e-3 * d.number_of_edges())


@pytest.mark.parametrize("near", [0, -3, 2.5, True])
def test_near_must_be_a_positive_whole_number(near):
    g = nx.cycle_graph(4)
    nx.set_edge_attributes(g, 1.0, "length")
    with pytest.raises(ValidationError, match="`near`"):
        postman_route(g, near=near)


def test_matching_rejects_an_odd_count_and_non_square():
    with pytest.raises(ValidationError, match="paired"):
        min_weight_matching(np.zeros((3, 3)))
    with pytest.raises(ValidationError, match="`dist`"):
        min_weight_matching(np.zeros((2, 3)))
