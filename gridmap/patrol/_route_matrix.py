"""Travel-time matrices for patrol routes: from a street graph, checked, as integers.

Part of :mod:`gridmap.patrol.routing`, which re-exports the public functions.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import networkx as nx
import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse import csgraph

from gridmap._errors import ValidationError

FloatArray = npt.NDArray[np.float64]


def matrix_from_graph(
    graph: nx.Graph, stops: Sequence[Hashable], *, weight: str = "time"
) -> FloatArray:
    """Travel times (shortest paths) between graph nodes `stops`.

    Parameters
    ----------
    graph : a networkx graph (undirected: both directions; directed: one-way streets kept),
        edges carrying `weight` (seconds). Parallel edges use the fastest.
    stops : graph node ids, in the order wanted for the matrix rows.
    weight : edge attribute holding the travel time, seconds.

    Returns
    -------
    ``(len(stops), len(stops))`` float array of seconds; ``inf`` where a stop cannot be reached.
    Built once as a CSR matrix and solved with ``scipy.sparse.csgraph.dijkstra`` from the
    distinct stops only.
    """
    index = {node: i for i, node in enumerate(graph.nodes)}
    missing = [s for s in stops if s not in index]
    if missing:
        msg = f"`stops` holds nodes not in `graph`: {missing[:5]!r}"
        raise ValidationError(msg)
    csr = graph_csr(graph, weight=weight, index=index)
    rows = np.fromiter((index[s] for s in stops), dtype=np.int64, count=len(stops))
    unique, inverse = np.unique(rows, return_inverse=True)
    dist = csgraph.dijkstra(csr, directed=True, indices=unique)
    return dist[inverse][:, rows]


def graph_csr(
    graph: nx.Graph, *, weight: str = "time", index: dict[Hashable, int] | None = None
) -> sparse.csr_array:
    """The graph as a CSR matrix of edge `weight` (fastest parallel edge; undirected: both ways)."""
    if index is None:
        index = {node: i for i, node in enumerate(graph.nodes)}
    n = len(index)
    u, v, w = [], [], []
    for a, b, data in graph.edges(data=True):
        if weight not in data:
            msg = f"`graph` edge ({a!r}, {b!r}) has no `{weight}` attribute"
            raise ValidationError(msg)
        u.append(index[a])
        v.append(index[b])
        w.append(float(data[weight]))
    ua, va, wa = np.asarray(u, np.int64), np.asarray(v, np.int64), np.asarray(w, float)
    if (wa < 0).any() or not np.isfinite(wa).all():
        msg = f"`graph` edge `{weight}` values must be finite and non-negative"
        raise ValidationError(msg)
    if not graph.is_directed():
        ua, va, wa = np.concatenate([ua, va]), np.concatenate([va, ua]), np.concatenate([wa, wa])
    # keep the fastest of parallel edges; a zero weight must stay an edge, so store w + 1 and
    # subtract after (csgraph treats explicit zeros as no edge)
    order = np.lexsort((wa, va, ua))
    ua, va, wa = ua[order], va[order], wa[order]
    first = np.ones(len(ua), bool)
    first[1:] = (ua[1:] != ua[:-1]) | (va[1:] != va[:-1])
    ua, va, wa = ua[first], va[first], wa[first]
    wa = np.where(wa == 0, np.finfo(float).tiny, wa)
    return sparse.csr_array((wa, (ua, va)), shape=(n, n))


def _check_matrix(times: object, name: str = "times") -> FloatArray:
    arr = np.asarray(times, dtype=float)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        msg = f"`{name}` must be a square matrix of seconds; got shape {arr.shape}"
        raise ValidationError(msg)
    if np.isnan(arr).any() or (arr < 0).any():
        msg = f"`{name}` must hold non-negative travel times (inf for unreachable), no NaN"
        raise ValidationError(msg)
    return arr


def _int_matrix(tt: FloatArray, cap: float) -> npt.NDArray[np.int64]:
    out = np.where(np.isfinite(tt), tt, cap)
    return np.rint(np.minimum(out, cap)).astype(np.int64)


def _route_travel(mat: FloatArray, nodes: Sequence[int]) -> float:
    idx = np.asarray(nodes, dtype=np.int64)
    if len(idx) < 2:
        return 0.0
    return float(mat[idx[:-1], idx[1:]].sum())
