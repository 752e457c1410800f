"""Reads of a GeoPackage workspace while other connections write to it (audit rows at
sign-in, settings): GDAL opening the file during another's commit saw a "broken" file
(SQLITE_BUSY without a busy handler); 20 sessions signing in at once showed it."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

from gridmap import datasets
from gridmap.access import access_storage, record
from gridmap.store import GeoPackageStore


def test_readers_never_see_a_broken_file_while_audit_rows_are_written(tmp_path: Path) -> None:
    path = tmp_path / "office.gpkg"
    shutil.copy(datasets.get_path("helsinki"), path)
    storage = access_storage(GeoPackageStore(path))
    errors: list[BaseException] = []
    reads = [0]
    stop = time.monotonic() + 4.0

    def write() -> None:
        n = 0
        while time.monotonic() < stop:
            record(storage, user=f"u{n}", role="viewer", action="sign_in", client="test")
            n += 1

    def read() -> None:
        store = GeoPackageStore(path)
        while time.monotonic() < stop:
            try:
                store.read("grids", columns=["grid_code"])
                store.read("posts")
                reads[0] += 1
            except BaseException as exc:  # every failure is the finding
                errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(2)]
    threads += [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, f"{len(errors)} failed reads of {reads[0] + len(errors)}: {errors[:2]}"
    assert reads[0] > 20
