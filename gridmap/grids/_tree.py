"""GerryChain's spanning-tree start of an automatic plan.

Private to :mod:`gridmap.grids.partition`.
"""

from __future__ import annotations

import numpy as np

from gridmap.grids import _search

#: Spanning trees GerryChain draws per cut before giving up. Its default (100,000) is what
#: made the tree start take 441 s on a sample community: with blocks too coarse for the
#: tolerance (one block of 519 households against a target of 280 ± 5 %) no balanced cut
#: exists, and every one of the 100,000 trees was searched before the error. A balanced cut
#: that exists is found within a few trees (each tree is searched exhaustively by
#: ``find_balanced_edge_cuts_memoization``), so 20 cost little when one exists.
TREE_ATTEMPTS = 20
#: Tolerances tried in turn by the tree start: the asked tolerance, then wider ones (×2, ×4 …
#: up to this share). The local search then balances the start to the asked tolerance.
TREE_MAX_EPSILON = 0.5


def tree_start(
    graph: _search.BlockGraph, members: list[int], k: int, *, tolerance: float, seed: int
) -> np.ndarray:
    """GerryChain's ``recursive_tree_part`` start, with few attempts and widening tolerance.

    Raises ``RuntimeError`` when no balanced cut is found even at :data:`TREE_MAX_EPSILON`.
    """
    import warnings
    from functools import partial

    import networkx as nx
    from gerrychain import Graph
    from gerrychain.partition import recursive_tree_part
    from gerrychain.tree import bipartition_tree

    sub = nx.Graph()
    sub.add_nodes_from((n, {"w": float(graph.weights[v])}) for n, v in enumerate(members))
    local = {v: n for n, v in enumerate(members)}
    sub.add_edges_from(
        (local[v], local[u]) for v in members for u in graph.nbrs[v] if u in local and u > v
    )
    chain_graph = Graph.from_networkx(sub)
    target = graph.weights[members].sum() / k
    cut = partial(bipartition_tree, max_attempts=TREE_ATTEMPTS, warn_attempts=TREE_ATTEMPTS + 1)
    epsilon = tolerance
    while True:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # BipartitionWarning: we retry, then fall back
                assignment = recursive_tree_part(
                    chain_graph,
                    range(k),
                    pop_target=target,
                    pop_col="w",
                    epsilon=epsilon,
                    node_repeats=0,
                    bipartition_tree_fn=cut,
                    rng=seed,
                )
            return np.array([assignment[n] for n in range(len(members))], dtype=int)
        except Exception as exc:  # RuntimeError, PopulationBalanceError: no balanced cut
            if epsilon >= TREE_MAX_EPSILON:
                msg = f"no spanning-tree cut within ±{epsilon:.0%} of the target"
                raise RuntimeError(msg) from exc
            epsilon = min(2 * epsilon, TREE_MAX_EPSILON)
