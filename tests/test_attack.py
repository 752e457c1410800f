"""Faults found by attacking the store, the importers and the outputs after the
"nothing lost, nothing leaked" fixes; one test per fault, each failing before its fix.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gridmap._errors import GridmapError, StoreError
from gridmap.i18n import Message
from gridmap.store import GeoPackageStore
from tests.test_store import incidents

GRIDMAP = [sys.executable, "-m", "gridmap.cli"]


def _csv(path: Path, n: int, prefix: str) -> Path:
    lines = ["编号,经度,纬度,发生时间,类别"]
    lines += [
        f"{prefix}{i},{24.93 + (i % 97) * 1e-4:.6f},{60.16 + (i % 89) * 1e-4:.6f},"
        "2026-03-01 10:00,theft"
        for i in range(n)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _workspace(tmp_path: Path, n: int = 20) -> GeoPackageStore:
    store = GeoPackageStore(tmp_path / "w.gpkg")
    store.write("incidents", incidents(n), author="alice", message="first")
    return store


def _no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert done.stderr.startswith("gridmap: "), done.stderr


# -- the store on a read-only file and a full disk ---------------------------------------


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[None]:
    """`path` made unwritable: a read-only bind mount as root, file modes otherwise."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)
        return
    if shutil.which("mount") is None:
        pytest.skip("root without mount(8): cannot make a file read-only")
    bind = subprocess.run(["mount", "--bind", str(path), str(path)], capture_output=True)
    if bind.returncode:
        pytest.skip(f"cannot bind-mount: {bind.stderr!r}")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(path)], check=True)
        yield
    finally:
        subprocess.run(["umount", str(path)], check=True)


def test_writes_to_a_read_only_workspace_are_a_clear_error(tmp_path: Path) -> None:
    store = _workspace(tmp_path)
    with _read_only(store.path):
        for write in (
            lambda: store.write("incidents", incidents(5, seed=2), message="second"),
            lambda: store.restore("incidents", 1),
            lambda: store.update_settings(note="x"),
            store.vacuum,
        ):
            with pytest.raises(StoreError) as caught:
                write()
            assert isinstance(caught.value.args[0], Message)
            assert caught.value.args[0].key == "workspace_write_failed"
        done = subprocess.run(
            [*GRIDMAP, "-w", str(store.path), "restore", "incidents", "1"],
            capture_output=True,
            text=True,
        )
        _no_traceback(done)
    assert [v.version for v in store.history("incidents")] == [1]


#: Lets a child process write files of at most `size` bytes (a full disk, without root).
_FULL_DISK = """
import resource, signal, sys
size = int(sys.argv[1])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
from gridmap.cli import main
raise SystemExit(main(sys.argv[2:]))
"""


def test_a_full_disk_during_an_import_is_a_clear_error_and_loses_nothing(
    tmp_path: Path,
) -> None:
    store = _workspace(tmp_path, n=20_000)
    small = _csv(tmp_path / "small.csv", 20, "S")
    size = store.path.stat().st_size
    # No room for the sidecar GDAL writes / room for it, none for the copy into the file.
    for room in (60_000, size + 4096):
        args = ["-w", str(store.path), "import", str(small), "--layer", "incidents"]
        done = subprocess.run(
            [sys.executable, "-c", _FULL_DISK, str(room), *args, "--mode", "replace"],
            capture_output=True,
            text=True,
        )
        _no_traceback(done)
        assert "nothing was saved" in done.stderr
    assert [v.version for v in store.history("incidents")] == [1]
    assert len(store.read("incidents")) == 20_000
    assert store.integrity_ok()


def test_columns_gdal_cannot_store_are_a_store_error(tmp_path: Path) -> None:
    store = _workspace(tmp_path)
    for column in ("geom", "fid"):
        frame = incidents(3, seed=3)
        frame[column] = "x"
        with pytest.raises(GridmapError) as caught:
            store.write("incidents", frame, message="odd column")
        assert isinstance(caught.value.args[0], Message)
    assert [v.version for v in store.history("incidents")] == [1]


# -- GeoJSON "crs" links: GDAL fetches them over HTTP -------------------------------------


@contextlib.contextmanager
def _listener() -> Iterator[tuple[str, list[str]]]:
    """A web server on 127.0.0.1 recording the paths asked for (an intranet host)."""
    import http.server
    import threading

    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,0]]]')

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("kind", "key"), [("link", "href"), ("url", "url"), ("LINK", "HREF"), ("\\u004cink", "href")]
)
def test_a_geojson_crs_link_makes_no_request_from_the_server(
    tmp_path: Path, kind: str, key: str
) -> None:
    from gridmap.io import import_file

    with _listener() as (base, asked):
        crs = f'{{"type": "{kind}", "properties": {{"{key}": "{base}/x"}}}}'
        text = (
            f'{{"type": "FeatureCollection", "crs": {crs}, "features": [{{"type": "Feature",'
            ' "properties": {"name": "a"},'
            ' "geometry": {"type": "Point", "coordinates": [24.94, 60.17]}}]}'
        )
        path = tmp_path / "posts.geojson"
        path.write_text(text)
        with pytest.raises(GridmapError) as caught:
            import_file(path, "posts")
        assert asked == []
    assert isinstance(caught.value.args[0], Message)
    assert caught.value.args[0].key == "geojson_crs_link"


# -- a workbook is a zip too -------------------------------------------------------------


def _inflating_workbook(path: Path, megabytes: int) -> Path:
    """A valid workbook whose sheet holds one cell of `megabytes` MB (~1000:1 deflated)."""
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["编号", "经度", "纬度", "发生时间", "类别"])
    book.active.append(["a", 24.94, 60.17, "2026-03-01 10:00", "theft"])
    plain = path.with_name("plain.xlsx")
    book.save(plain)
    cell = b'<row r="3"><c r="F3" t="inlineStr"><is><t>' + b"A" * (megabytes << 20)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", cell + b"</t></is></c></row></sheetData>")
            out.writestr(item, data)
    return path


def test_a_workbook_inflating_past_the_limit_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gridmap.io import import_file, list_parts, read_table

    path = _inflating_workbook(tmp_path / "周报.xlsx", 8)
    assert path.stat().st_size < 100_000
    for read in (
        lambda: import_file(path, "incidents", max_bytes=2**20),
        lambda: read_table(path, max_bytes=2**20),
    ):
        with pytest.raises(GridmapError) as caught:
            read()
        assert caught.value.args[0].key == "zip_too_large"
    monkeypatch.setenv("GRIDMAP_MAX_UPLOAD_MB", "1")
    with pytest.raises(GridmapError) as caught:
        list_parts(path)
    assert caught.value.args[0].key == "zip_too_large"


# -- the command line prints what others typed -------------------------------------------

#: Terminal control sequences: set the window title, clear the screen, a forged line.
ESCAPES = "\x1b]0;owned\x07\x1b[2J\x1b[1A\rincidents  v99 forged\nincidents  v98 forged\x9b2J"


def test_the_command_line_prints_no_control_characters_from_users(tmp_path: Path) -> None:
    store = _workspace(tmp_path)
    # A commit message typed on the web page (any text), an author passed by a script.
    store.write("incidents", incidents(5, seed=4), author="bob" + ESCAPES, message=ESCAPES)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"编号,经度,纬度,发生时间,类别,备注{ESCAPES[:12]}\n"
        "x1,24.94,60.17,2026-03-01 10:00,theft,a\n"
        f"x2,abc{ESCAPES[:12]},60.17,2026-03-01 10:00,theft,b\n",
        encoding="utf-8",
    )
    runs = [
        ["history"],
        ["history", "incidents"],
        ["layers"],
        ["import", str(bad), "--layer", "incidents", "--dry-run"],
        ["import", str(bad), "--layer", "incidents", "--source-layer", ESCAPES, "--dry-run"],
        ["restore", "incidents", "1", "--author", ESCAPES],
    ]
    for args in runs:
        done = subprocess.run(
            [*GRIDMAP, "-w", str(store.path), *args], capture_output=True, text=True
        )
        for output in (done.stdout, done.stderr):
            assert not any(ch in output for ch in "\x1b\x07\r\x9b"), (args, output)
            assert not any(line.startswith("incidents  v98") for line in output.splitlines())


# -- the Data page while someone else writes ----------------------------------------------

_HOLD = """
import sys, time
from gridmap.store import workspace_lock
with workspace_lock(sys.argv[1]).hold(None, "王五"):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_restore_on_a_busy_workspace_says_busy_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gridmap.store import install_sample_workspace
    from tests.test_app import run_app

    home = tmp_path / "workspaces"
    monkeypatch.setenv("GRIDMAP_HOME", str(home))
    monkeypatch.setenv("GRIDMAP_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.delenv("GRIDMAP_WORKSPACE", raising=False)
    monkeypatch.setenv("GRIDMAP_BUSY_TIMEOUT", "0.2")
    sample = install_sample_workspace(home / "sample.gpkg")
    GeoPackageStore(sample).write("incidents", incidents(5), message="second")
    app = run_app("app_pages/data.py", editor="张三")
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(sample)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        app.selectbox(key="history_layer.zh").set_value("incidents").run()
        app.button(key="history_restore").click().run()
        assert not app.exception, [e.value for e in app.exception]
        assert any("王五" in e.value for e in app.error), [e.value for e in app.error]
    finally:
        holder.kill()
        holder.wait()
    assert GeoPackageStore(sample).current_version("incidents") == 2
