"""METIS starting plans through pymetis, with METIS's own console output kept off the app's.

METIS (C) writes its errors straight to the process's file descriptors — e.g. "METIS
Error: A contiguous partition is requested for a non-contiguous input graph." before
pymetis turns the failure into a ``RuntimeError`` — so neither ``contextlib.redirect_stdout``
nor pytest's ``capsys`` sees it; it landed in the terminal of ``streamlit run`` and of the
``gridmap`` command. pymetis has no option to silence it (METIS's ``dbglvl`` only governs
its progress reports), so :func:`c_output_to_log` points file descriptors 1 and 2 at a
temporary file around the call and passes what was written to :mod:`logging` (DEBUG).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence

import numpy as np

from gridmap.grids import _search

log = logging.getLogger(__name__)
#: File descriptors are shared by the whole process: one redirection at a time.
_FD_LOCK = threading.Lock()


@contextlib.contextmanager
def c_output_to_log(name: str = "METIS") -> Iterator[None]:
    """Send what C code writes to stdout/stderr (fd 1 and 2) inside the block to the log.

    Python's own ``sys.stdout``/``sys.stderr`` are flushed first so nothing of theirs is
    caught. While the block runs, other threads' writes to fd 1/2 go to the log too (the
    block is short: one METIS call); blocks in different threads run one after the other.

    Parameters
    ----------
    name : str
        Who wrote it, in the log record.
    """
    with _FD_LOCK, tempfile.TemporaryFile() as sink:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        saved = [os.dup(1), os.dup(2)]
        try:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            yield
        finally:
            with contextlib.suppress(Exception):  # C stdio buffers (printf) before restoring
                import ctypes

                ctypes.CDLL(None).fflush(None)
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            sink.seek(0)
            text = sink.read().decode("utf-8", "replace").strip()
            if text:
                log.debug("%s wrote: %s", name, text)


def metis_starts(
    graph: _search.BlockGraph,
    members: list[int],
    k: int,
    *,
    tolerance: float,
    seeds: Sequence[int],
) -> list[np.ndarray]:
    """METIS partitions of the blocks `members` into `k` parts, one per seed.

    Vertex weights are the blocks' weights scaled to integers (METIS wants integers), edge
    weights the shared boundary in decimetres, ``ufactor`` the tolerance in thousandths.
    Contiguous parts are asked for (``contig``); where METIS refuses (a part would be empty,
    or the graph is not in one piece) the plain partition is taken and the local search
    (:func:`gridmap.grids._search.make_contiguous`) repairs it.
    """
    import pymetis

    local = {v: n for n, v in enumerate(members)}
    xadj, adjncy, eweights = [0], [], []
    for v in members:
        for u, c in zip(graph.nbrs[v], graph.lens[v], strict=True):
            if u in local:
                adjncy.append(local[u])
                eweights.append(max(1, round(c * 10)))  # decimetres of shared boundary
        xadj.append(len(adjncy))
    w = graph.weights[members]
    scale = 1e6 / max(w.sum(), 1e-9)
    vweights = [1 + round(x * scale) for x in w.tolist()]
    adjacency = pymetis.CSRAdjacency(xadj, adjncy)
    ufactor = max(1, round(tolerance * 1000))

    def part(seed: int, contig: bool) -> np.ndarray:
        options = pymetis.Options(seed=int(seed), ufactor=ufactor)
        if contig:
            options.contig = 1
        with c_output_to_log():
            _, parts = pymetis.part_graph(
                k, adjacency=adjacency, vweights=vweights, eweights=eweights, options=options
            )
        return np.asarray(parts, dtype=int)

    out = []
    for seed in seeds:
        try:
            parts = part(seed, contig=True)
        except RuntimeError:  # METIS refuses contiguity on some graphs; the search repairs it
            parts = part(seed, contig=False)
        if len(np.unique(parts)) < k:  # METIS's contiguous mode can leave a part empty
            parts = part(seed, contig=False)
        out.append(parts)
    return out
