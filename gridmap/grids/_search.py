"""Local search over block partitions: balance first, then shorter boundaries.

Private to :mod:`gridmap.grids.partition`. The graph is held as Python adjacency lists
(block → [(neighbour, shared length m)]) because the search moves one block at a time and
asks small questions (is the donor still in one piece?) that a BFS over ~100 blocks
answers faster than any array round trip.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np


class BlockGraph:
    """Adjacency lists, block weights and shared boundary lengths of a block graph."""

    def __init__(
        self,
        n: int,
        edges_i: np.ndarray,
        edges_j: np.ndarray,
        lengths: np.ndarray,
        weights: np.ndarray,
    ) -> None:
        self.n = n
        self.weights = np.asarray(weights, dtype=float)
        self.edges = (np.asarray(edges_i), np.asarray(edges_j), np.asarray(lengths, dtype=float))
        self.nbrs: list[list[int]] = [[] for _ in range(n)]
        self.lens: list[list[float]] = [[] for _ in range(n)]
        for a, b, c in zip(edges_i.tolist(), edges_j.tolist(), lengths.tolist(), strict=True):
            self.nbrs[a].append(b)
            self.lens[a].append(c)
            self.nbrs[b].append(a)
            self.lens[b].append(c)

    def add_edge(self, a: int, b: int, length: float) -> None:
        """Join blocks `a` and `b` (a bridge when `length` is 0)."""
        self.nbrs[a].append(b)
        self.lens[a].append(length)
        self.nbrs[b].append(a)
        self.lens[b].append(length)
        i, j, lengths = self.edges
        self.edges = (np.append(i, a), np.append(j, b), np.append(lengths, length))

    def cut_length(self, labels: np.ndarray) -> float:
        """Total length of the boundaries between blocks of different parts (m)."""
        i, j, length = self.edges
        return float(length[labels[i] != labels[j]].sum())

    def components(self, members: np.ndarray) -> list[list[int]]:
        """Connected components of the subgraph induced by `members` (positions)."""
        inside = np.zeros(self.n, dtype=bool)
        inside[members] = True
        seen = np.zeros(self.n, dtype=bool)
        out = []
        for start in members.tolist():
            if seen[start]:
                continue
            comp = [start]
            seen[start] = True
            queue = deque([start])
            while queue:
                v = queue.popleft()
                for u in self.nbrs[v]:
                    if inside[u] and not seen[u]:
                        seen[u] = True
                        comp.append(u)
                        queue.append(u)
            out.append(comp)
        return out


def _stays_connected(graph: BlockGraph, labels: np.ndarray, v: int, part: int) -> bool:
    """Whether `part` stays in one piece (and non-empty) when block `v` leaves it."""
    donors = [u for u in graph.nbrs[v] if labels[u] == part]
    if not donors:
        return False  # v is the whole part
    if len(donors) == 1:
        return True
    wanted = set(donors[1:])
    seen = {v, donors[0]}
    queue = deque([donors[0]])
    while queue:
        x = queue.popleft()
        for u in graph.nbrs[x]:
            if u not in seen and labels[u] == part:
                if u in wanted:
                    wanted.discard(u)
                    if not wanted:
                        return True
                seen.add(u)
                queue.append(u)
    return False


def make_contiguous(graph: BlockGraph, labels: np.ndarray, movable: np.ndarray) -> np.ndarray:
    """Give every piece of a part but its heaviest to the neighbouring part it borders most."""
    labels = labels.copy()
    for _ in range(graph.n):
        changed = False
        for part in np.unique(labels[movable]).tolist():
            members = np.flatnonzero((labels == part) & movable)
            pieces = graph.components(members)
            if len(pieces) <= 1:
                continue
            pieces.sort(key=lambda c: -graph.weights[c].sum() - 1e-9 * len(c))
            for piece in pieces[1:]:
                border: dict[int, float] = {}
                for v in piece:
                    for u, c in zip(graph.nbrs[v], graph.lens[v], strict=True):
                        if labels[u] != part:
                            border[int(labels[u])] = border.get(int(labels[u]), 0.0) + c
                if border:
                    labels[piece] = max(border, key=border.__getitem__)
                    changed = True
        if not changed:
            break
    return labels


def fill_empty(graph: BlockGraph, labels: np.ndarray, k: int, movable: np.ndarray) -> np.ndarray:
    """Give each empty part (of the first `k`) one block of the heaviest part to grow from.

    The block is the heaviest one whose removal leaves its part in one piece; the balance
    phase of :func:`improve` then grows the new part.
    """
    labels = labels.copy()
    for part in range(k):
        if (labels == part).any():
            continue
        totals = np.bincount(labels[movable], weights=graph.weights[movable], minlength=k)
        for donor in np.argsort(-totals).tolist():
            members = np.flatnonzero((labels == donor) & movable)
            if len(members) < 2:
                continue
            for v in members[np.argsort(-graph.weights[members])].tolist():
                if _stays_connected(graph, labels, v, donor):
                    labels[v] = part
                    break
            else:
                continue
            break
    return labels


def improve(
    graph: BlockGraph,
    labels: np.ndarray,
    targets: np.ndarray,
    *,
    tolerance: float,
    movable: np.ndarray,
    max_sweeps: int = 60,
    progress: Callable[[float], None] | None = None,
) -> np.ndarray:
    """Move boundary blocks between neighbouring parts: balance, then shorten boundaries.

    Phase 1 takes any move that lowers the sum of squared deviations from the parts'
    targets (a heavier part gives a block to a lighter neighbour), which also carries
    surplus along chains of parts. Phase 2 takes moves that shorten the total internal
    boundary while every part stays within `tolerance` of its target. No move splits its
    donor part or empties it; blocks with ``movable`` False and parts holding them stay.
    """
    labels = labels.copy()
    k = len(targets)
    w = graph.weights
    totals = np.bincount(labels, weights=w, minlength=k).astype(float)
    lo, hi = targets * (1 - tolerance), targets * (1 + tolerance)
    frozen_part = np.zeros(k, dtype=bool)
    frozen_part[np.unique(labels[~movable])] = True

    def candidates(v: int) -> dict[int, float]:
        """Shared length of `v` with each part it borders."""
        out: dict[int, float] = {}
        for u, c in zip(graph.nbrs[v], graph.lens[v], strict=True):
            q = int(labels[u])
            out[q] = out.get(q, 0.0) + c
        return out

    def boundary() -> list[int]:
        return [
            v
            for v in np.flatnonzero(movable).tolist()
            if any(labels[u] != labels[v] for u in graph.nbrs[v])
        ]

    def balance_sweep() -> int:
        moved = 0
        for v in boundary():
            p = int(labels[v])
            best, best_gain = -1, 0.0
            shared = candidates(v)
            for q, c in shared.items():
                if q == p or frozen_part[q]:
                    continue
                dev_before = (totals[p] - targets[p]) ** 2 + (totals[q] - targets[q]) ** 2
                dev_after = (totals[p] - w[v] - targets[p]) ** 2 + (
                    totals[q] + w[v] - targets[q]
                ) ** 2
                gain = dev_before - dev_after
                # tie-break by boundary: prefer the neighbour v shares most with
                gain += 1e-6 * (c - shared.get(p, 0.0))
                if gain > best_gain:
                    best, best_gain = q, gain
            if best >= 0 and _stays_connected(graph, labels, v, p):
                labels[v] = best
                totals[p] -= w[v]
                totals[best] += w[v]
                moved += 1
        return moved

    def cut_sweep() -> int:
        moved = 0
        for v in boundary():
            p = int(labels[v])
            shared = candidates(v)
            own = shared.get(p, 0.0)
            best, best_gain = -1, 1e-9
            for q, c in shared.items():
                if q == p or frozen_part[q]:
                    continue
                if totals[p] - w[v] < lo[p] - 1e-9 or totals[q] + w[v] > hi[q] + 1e-9:
                    continue
                if c - own > best_gain:
                    best, best_gain = q, c - own
            if best >= 0 and _stays_connected(graph, labels, v, p):
                labels[v] = best
                totals[p] -= w[v]
                totals[best] += w[v]
                moved += 1
        return moved

    def violation() -> float:
        return float(np.maximum(0, np.maximum(totals - hi, lo - totals))[~frozen_part].sum())

    for sweep in range(max_sweeps):
        moved = balance_sweep() if violation() > 1e-09 else 0
        moved += cut_sweep()
        if progress is not None:
            progress((sweep + 1) / max_sweeps)
        if not moved:
            break
    return labels
