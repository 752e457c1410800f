"""A writer process for the store's concurrency tests: ``python store_worker.py JSON``.

The JSON names the workspace (a ``.gpkg`` path or a ``postgresql://`` URL), a start
time (so that every worker begins together) and a list of operations: ``append`` (n rows
with ids of its own, through the same path as ``gridmap import``), ``replace``,
``restore`` (a version that existed at the start), ``read`` (read the current version
and check it is complete). It prints one JSON line per operation: what the store
reported (layer, version, n_features) or the error's class and message, so the test can
check every reported version afterwards.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from test_store import incidents

from gridmap import GridmapError
from gridmap.ingest import combine_rows
from gridmap.store import open_workspace


def run(job: dict) -> None:
    store = open_workspace(job["path"], create=False)
    while time.time() < job.get("start_at", 0):
        time.sleep(0.001)
    for i, op in enumerate(job["ops"]):
        kind = op["op"]
        try:
            if kind == "append":
                new = incidents(op["n"], seed=op.get("seed", i), prefix=op["prefix"])
                with store.writing():
                    base = store.current_version("incidents")
                    current = store.read("incidents", version=base)
                    data = combine_rows([current, new], "incidents")
                    made = store.write(
                        "incidents", data, message=f"append {op['prefix']}", based_on=base
                    )
            elif kind == "replace":
                new = incidents(op["n"], seed=op.get("seed", i), prefix=op["prefix"])
                made = store.write("incidents", new, message=f"replace {op['prefix']}")
            elif kind == "restore":
                made = store.restore("incidents", op["version"])
            elif kind == "read":
                frame = store.read("incidents")
                version = frame.attrs["gridmap_version"]
                expected = next(v for v in store.history("incidents") if v.version == version)
                assert len(frame) == expected.n_features, (len(frame), expected)
                print(json.dumps({"op": kind, "version": version, "n": len(frame)}), flush=True)
                continue
            else:
                raise ValueError(kind)
        except GridmapError as exc:
            print(json.dumps({"op": kind, "error": type(exc).__name__, "message": str(exc)}))
            continue
        print(
            json.dumps(
                {"op": kind, "version": made.version, "n": made.n_features, "table": made.table}
            ),
            flush=True,
        )


if __name__ == "__main__":
    run(json.loads(sys.argv[1]))
