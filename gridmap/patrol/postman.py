"""Line patrols (线巡): a closed walk over every street of a grid with the least total length.

The Chinese postman problem. Undirected (foot and bike patrols): Edmonds & Johnson (1973,
"Matching, Euler tours and the Chinese postman", Mathematical Programming 5) — walk every
street once, and repeat the shortest paths of a minimum-weight perfect matching of the
odd-degree intersections; then an Euler circuit. Directed (cars on one-way streets): the
in/out imbalance of every intersection is balanced by repeating shortest paths chosen by a
transportation problem (a minimum-cost flow), then an Euler circuit.

Speed: the matching is an LP with odd-set cuts (HiGHS), finished by networkx's blossom when
the cuts stall, on a sparse candidate graph instead of the complete graph of odd nodes: for
each odd node its `near` nearest odd nodes (network distance) and every odd node whose
shortest path passes no other odd node. This restriction is a heuristic — not exact in
general (three dead ends around a T-junction need a pair passing the junction) — but it
matched the complete graph on every test and bench network; ``candidates="all"`` is exact.
Shortest paths come from ``scipy.sparse.csgraph.dijkstra`` on a CSR matrix; the directed
balance is a transportation problem solved as an assignment
(``scipy.optimize.linear_sum_assignment``) on the imbalance units — exact.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable
from dataclasses import dataclass

import networkx as nx
import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csgraph

from gridmap._errors import ValidationError


@dataclass
class PostmanRoute:
    """A closed line-patrol walk.

    Attributes
    ----------
    nodes : the intersections in walking order (first == last).
    edges : the walked edges in order, ``(u, v, key)`` of the input graph (key 0 for simple
        graphs); repeated edges appear more than once.
    length : total length walked (units of `weight`). street_length : sum over all streets.
    repeated : number of street traversals beyond the first (deadheading).
    """

    nodes: list[Hashable]
    edges: list[tuple[Hashable, Hashable, Hashable]]
    length: float
    street_length: float
    repeated: int

    @property
    def deadhead(self) -> float:
        """Length walked a second time (``length - street_length``)."""
        return self.length - self.street_length


def _edge_arrays(graph: nx.Graph, weight: str, index: dict[Hashable, int]):
    if graph.is_multigraph():
        items = list(graph.edges(keys=True, data=weight))
        keys = [k for _, _, k, _ in items]
        items3 = [(u, v, w) for u, v, _, w in items]
    else:
        items3 = list(graph.edges(data=weight))
        keys = [0] * len(items3)
    if any(w is None for _, _, w in items3):
        msg = f"`graph`: every edge needs a `{weight}` attribute"
        raise ValidationError(msg)
    u = np.fromiter((index[a] for a, _, _ in items3), np.int64, len(items3))
    v = np.fromiter((index[b] for _, b, _ in items3), np.int64, len(items3))
    w = np.fromiter((float(c) for _, _, c in items3), float, len(items3))
    if len(w) and ((w < 0).any() or not np.isfinite(w).all()):
        msg = f"`graph`: edge `{weight}` must be finite and non-negative"
        raise ValidationError(msg)
    return u, v, w, keys


def _csr(u, v, w, n: int, *, directed: bool) -> sparse.csr_array:
    if not directed:
        u, v, w = np.concatenate([u, v]), np.concatenate([v, u]), np.concatenate([w, w])
    # the shortest parallel edge; explicit zeros would vanish, so nudge them
    order = np.lexsort((w, v, u))
    u, v, w = u[order], v[order], w[order]
    first = np.ones(len(u), bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    w = np.where(w[first] == 0, np.finfo(float).tiny, w[first])
    return sparse.csr_array((w, (u[first], v[first])), shape=(n, n))


def _path(pred: npt.NDArray[np.int32], a: int, b: int) -> list[int]:
    """Nodes of the shortest path a → b from a predecessor row of source a."""
    out = [b]
    while out[-1] != a:
        p = int(pred[out[-1]])
        if p < 0:
            msg = "no path"  # guarded by the connectivity checks
            raise RuntimeError(msg)
        out.append(p)
    return out[::-1]


def _best_edge(u, v, w, *, directed: bool) -> dict[tuple[int, int], int]:
    """Index of the shortest edge for each (ordered, or unordered) node pair."""
    best: dict[tuple[int, int], int] = {}
    for i in np.argsort(-w, kind="stable"):  # shortest written last
        a, b = int(u[i]), int(v[i])
        best[(a, b)] = int(i)
        if not directed:
            best[(b, a)] = int(i)
    return best


def min_weight_matching(
    dist: npt.ArrayLike, candidates: npt.ArrayLike | None = None, *, max_rounds: int = 10
) -> list[tuple[int, int]]:
    """Minimum-weight perfect matching of `dist`'s rows over the `candidates` pairs.

    Linear programming with odd-set (blossom) cuts (Edmonds 1965; Grötschel & Holland 1985):
    solve the degree-constrained LP with HiGHS; while the solution is fractional, add for every
    odd component of its fractional support the cut "at most (|S|-1)/2 edges inside S" and
    solve again. An integral LP optimum is an optimal matching. If the cuts stall (rare), the
    networkx blossom algorithm finishes the job exactly.

    `candidates` is a boolean mask of allowed pairs (default: all). Returns ``(i, j)`` pairs,
    ``i < j``. Raises :class:`ValidationError` when no perfect matching exists.
    """
    from scipy.optimize import linprog

    d = np.asarray(dist, float)
    m = d.shape[0]
    mask = np.ones_like(d, bool) if candidates is None else np.asarray(candidates, bool)
    mask = (mask | mask.T) & np.isfinite(d)
    iu, ju = np.nonzero(np.triu(mask, 1))
    if m == 0:
        return []
    wts = d[iu, ju]
    ne = len(iu)
    inc = sparse.csr_array(
        (np.ones(2 * ne), (np.concatenate([iu, ju]), np.tile(np.arange(ne), 2))), shape=(m, ne)
    )
    cut_rows: list[np.ndarray] = []
    cut_rhs: list[float] = []
    for _ in range(max_rounds):
        a_ub = b_ub = None
        if cut_rows:
            r = np.concatenate([np.full(len(c), k) for k, c in enumerate(cut_rows)])
            a_ub = sparse.csr_array(
                (np.ones(len(r)), (r, np.concatenate(cut_rows))), shape=(len(cut_rows), ne)
            )
            b_ub = np.asarray(cut_rhs)
        res = linprog(
            wts, A_ub=a_ub, b_ub=b_ub, A_eq=inc, b_eq=np.ones(m), bounds=(0, 1), method="highs"
        )
        if res.status != 0:
            if candidates is not None:
                return min_weight_matching(d, None, max_rounds=max_rounds)
            msg = "the odd-degree intersections cannot all be paired: is the graph connected?"
            raise ValidationError(msg)
        x = res.x
        frac = (x > 1e-6) & (x < 1 - 1e-6)
        if not frac.any():
            chosen = np.flatnonzero(x > 0.5)
            return sorted(zip(iu[chosen].tolist(), ju[chosen].tolist(), strict=True))
        fe = np.flatnonzero(frac)
        support = sparse.csr_array((np.ones(len(fe)), (iu[fe], ju[fe])), shape=(m, m))
        _n, label = csgraph.connected_components(support, directed=False)
        in_frac = np.zeros(m, bool)
        in_frac[iu[fe]] = in_frac[ju[fe]] = True
        added = 0
        for comp in np.unique(label[in_frac]):
            nodes = label == comp
            size = int(nodes.sum())
            if size % 2 == 1 and size >= 3:
                inside = np.flatnonzero(nodes[iu] & nodes[ju])
                if x[inside].sum() > (size - 1) / 2 + 1e-6:
                    cut_rows.append(inside)
                    cut_rhs.append((size - 1) / 2)
                    added += 1
        if not added:
            break
    return _blossom(d, iu, ju, m)


def _blossom(d: np.ndarray, iu: np.ndarray, ju: np.ndarray, m: int) -> list[tuple[int, int]]:
    g = nx.Graph()
    g.add_nodes_from(range(m))
    # maximise (big - w) with maximum cardinality = minimise total w among perfect matchings;
    # integer weights (1e-3 of the unit: millimetres) keep networkx's blossom exact
    wi = np.rint(d[iu, ju] * 1000).astype(np.int64)
    big = int(wi.max(initial=0)) + 1
    g.add_weighted_edges_from(zip(iu.tolist(), ju.tolist(), (big - wi).tolist(), strict=True))
    matching = nx.max_weight_matching(g, maxcardinality=True)
    if 2 * len(matching) != m:
        msg = "the odd-degree intersections cannot all be paired: is the graph connected?"
        raise ValidationError(msg)
    return sorted((min(a, b), max(a, b)) for a, b in matching)


def _nearest_pairs(dist: np.ndarray, k: int) -> np.ndarray:
    """Mask of each row's `k` nearest other columns."""
    m = dist.shape[0]
    mask = np.zeros((m, m), bool)
    if m <= k + 1:
        return ~np.eye(m, dtype=bool)
    nearest = np.argpartition(dist, k + 1, axis=1)[:, : k + 1]
    mask[np.repeat(np.arange(m), k + 1), nearest.ravel()] = True
    np.fill_diagonal(mask, False)
    return mask


def _direct_pairs(dist: np.ndarray, pred: np.ndarray, odd: np.ndarray, n: int) -> np.ndarray:
    """Mask of odd pairs whose (chosen) shortest path has no other odd node inside."""
    m = len(odd)
    is_odd = np.zeros(n, bool)
    is_odd[odd] = True
    order = np.argsort(dist, axis=1, kind="stable")  # nodes by distance from each source
    rows = np.arange(m)
    blocked = np.zeros((m, n), bool)  # path from source to node passes an odd node inside
    for r in range(1, n):
        node = order[:, r]
        p = pred[rows, node]
        ok = p >= 0
        pp = np.where(ok, p, 0)
        inner = is_odd[pp] & (pp != odd)
        blocked[rows, node] = ok & (blocked[rows, pp] | inner)
    return ~blocked[:, odd] & np.isfinite(dist[:, odd])


def postman_route(
    graph: nx.Graph,
    *,
    weight: str = "length",
    start: Hashable | None = None,
    candidates: str = "near",
    near: int = 12,
) -> PostmanRoute:
    """The shortest closed walk covering every edge of `graph` (Chinese postman).

    Parameters
    ----------
    graph : undirected (``Graph``/``MultiGraph``: foot and bike patrols) or directed
        (``DiGraph``/``MultiDiGraph``: cars; one-way streets have one arc, two-way streets two).
        Every edge carries `weight` (metres or seconds). Must be connected (directed: strongly
        connected over the nodes that have edges).
    weight : the edge attribute to minimise.
    start : the node to start and end at (a post's nearest intersection); default the first.
    candidates : undirected only: ``"near"`` (each odd node's `near` nearest odd nodes and
        the pairs whose shortest path passes no other odd node; fast) or ``"all"`` (the
        complete graph of odd nodes; exact, slow beyond a few hundred odd nodes).
    near : how many nearest odd nodes are candidates for each.

    Returns
    -------
    PostmanRoute

    Raises
    ------
    ValidationError
        An empty or disconnected graph, a missing or negative `weight`, an unknown `start`.
    """
    if graph.number_of_edges() == 0:
        msg = "`graph` has no streets to patrol"
        raise ValidationError(msg)
    nodes = [x for x in graph.nodes if graph.degree(x) > 0]
    index = {x: i for i, x in enumerate(nodes)}
    n = len(nodes)
    if start is None:
        start = nodes[0]
    elif start not in index:
        msg = f"`start` {start!r} is not an intersection with streets in `graph`"
        raise ValidationError(msg)
    directed = graph.is_directed()
    u, v, w, keys = _edge_arrays(graph, weight, index)
    csr = _csr(u, v, w, n, directed=directed)
    n_comp, _ = csgraph.connected_components(
        csr, directed=directed, connection="strong" if directed else "weak"
    )
    if n_comp > 1:
        kind = "strongly connected (one-way streets trap a car)" if directed else "connected"
        msg = f"`graph` is not {kind}: {n_comp} separate parts; patrol each part on its own"
        raise ValidationError(msg)
    best = _best_edge(u, v, w, directed=directed)
    extra: list[int] = []  # indices of edges to repeat
    if directed:
        balance = np.bincount(v, minlength=n) - np.bincount(u, minlength=n)  # in - out
        src = np.flatnonzero(balance > 0)  # more arrivals: extra departures start here
        dst = np.flatnonzero(balance < 0)
        if len(src):
            dist, pred = csgraph.dijkstra(csr, directed=True, indices=src, return_predecessors=True)
            rows = np.repeat(np.arange(len(src)), balance[src])
            cols = np.repeat(dst, -balance[dst])
            cost = dist[np.ix_(rows, cols)]
            r, c = linear_sum_assignment(cost)
            for i, j in zip(r, c, strict=True):
                path = _path(pred[rows[i]], int(src[rows[i]]), int(cols[j]))
                extra += [best[(a, b)] for a, b in itertools.pairwise(path)]
    else:
        degree = np.bincount(u, minlength=n) + np.bincount(v, minlength=n)
        odd = np.flatnonzero(degree % 2 == 1)
        if len(odd):
            dist, pred = csgraph.dijkstra(
                csr, directed=False, indices=odd, return_predecessors=True
            )
            if candidates == "all":
                mask = None
            elif candidates == "near":
                mask = _direct_pairs(dist, pred, odd, n) | _nearest_pairs(dist[:, odd], near)
            else:
                msg = f"`candidates` must be 'near' or 'all'; got {candidates!r}"
                raise ValidationError(msg)
            for i, j in min_weight_matching(dist[:, odd], mask):
                path = _path(pred[i], int(odd[i]), int(odd[j]))
                extra += [best[(a, b)] for a, b in itertools.pairwise(path)]
    multi = nx.MultiDiGraph() if directed else nx.MultiGraph()
    multi.add_edges_from(
        (int(a), int(b), {"i": i}) for i, (a, b) in enumerate(zip(u, v, strict=True))
    )
    multi.add_edges_from((int(u[i]), int(v[i]), {"i": i}) for i in extra)
    walk: list[tuple[Hashable, Hashable, Hashable]] = []
    order = [index[start]]
    for a, b, k in nx.eulerian_circuit(multi, source=index[start], keys=True):
        i = multi.edges[a, b, k]["i"]
        walk.append((nodes[a], nodes[b], keys[i]))
        order.append(b)
    street = float(w.sum())
    return PostmanRoute(
        [nodes[i] for i in order],
        walk,
        street + float(w[extra].sum()) if extra else street,
        street,
        len(extra),
    )
