"""The workspace store: versions, restore, settings and atomic writes (with a killed writer).

Every test that is not about one backend's own files runs on both backends: the
``new_store`` fixture makes a fresh GeoPackage workspace, or a fresh schema on the
PostgreSQL server named by ``$GRIDMAP_TEST_POSTGRES`` (``make postgis`` starts one).
Without that variable the PostGIS cases are skipped, saying so.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from gridmap import StoreError, ValidationError
from gridmap.store import (
    GeoPackageStore,
    PostGISStore,
    WorkspaceNotFoundError,
    WorkspaceStore,
    open_workspace,
)

#: The PostgreSQL database (with PostGIS) the PostGIS cases run on.
POSTGRES_ENV = "GRIDMAP_TEST_POSTGRES"
BACKENDS = ("gpkg", "postgis")


def postgres_url(schema: str | None = None) -> str:
    """A URL for a fresh schema on the test server; skips the test when there is none."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(
            f"PostGIS backend not tested: set {POSTGRES_ENV}=postgresql://… "
            "(`make postgis` starts a throw-away PostgreSQL with PostGIS)"
        )
    schema = schema or f"t_{uuid.uuid4().hex[:12]}"
    return f"{base}{'&' if '?' in base else '?'}schema={schema}"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def new_store(tmp_path: Path, backend: str) -> Iterator[Callable[..., WorkspaceStore]]:
    """Make fresh empty workspaces of the backend under test (PostGIS schemas are
    dropped afterwards)."""
    made: list[PostGISStore] = []

    def make(name: str = "w") -> WorkspaceStore:
        if backend == "gpkg":
            return GeoPackageStore(tmp_path / f"{name}.gpkg")
        store = PostGISStore(postgres_url())
        made.append(store)
        return store

    yield make
    for store in made:
        store.drop()


def incidents(n: int, *, seed: int = 0, prefix: str = "I") -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    return gpd.GeoDataFrame(
        {
            "incident_id": [f"{prefix}{i}" for i in range(n)],
            "category": rng.choice(["theft", "fraud"], n),
            "occurred_at": pd.Timestamp("2026-03-01")
            + pd.to_timedelta(rng.integers(0, 86400 * 30, n), unit="s"),
            "description": ["<b>备注</b> & 'quotes'"] * n,
        },
        geometry=shapely.points(24.94 + rng.random(n) * 0.01, 60.17 + rng.random(n) * 0.01),
        crs=4326,
    )


def test_write_read_round_trip_and_versions(new_store: Callable[..., WorkspaceStore]) -> None:
    store = new_store()
    first = incidents(50)
    v1 = store.write("incidents", first, author="alice", message="first import")
    v2 = store.write("incidents", incidents(20, seed=1), author="bob", message="second import")
    assert (v1.version, v2.version) == (1, 2)
    assert [v.author for v in store.history("incidents")] == ["alice", "bob"]
    assert store.current_version("incidents") == 2
    assert len(store.read("incidents")) == 20
    back = store.read("incidents", version=1)
    expected = first.copy()
    expected["occurred_at"] = expected["occurred_at"].astype("datetime64[ms]")
    assert_geodataframe_equal(back, expected, check_dtype=False, check_like=True)
    assert back["description"].iloc[0] == "<b>备注</b> & 'quotes'"  # verbatim
    head = store.read("incidents", version=1, max_features=7)
    assert list(head["incident_id"]) == list(back["incident_id"].iloc[:7])
    with pytest.raises(StoreError, match="`max_features`"):
        store.read("incidents", max_features=-1)


def test_restore_creates_a_new_version_pointing_at_the_old_data(
    new_store: Callable[..., WorkspaceStore],
) -> None:
    store = new_store()
    store.write("incidents", incidents(5), message="five")
    store.write("incidents", incidents(7, seed=2), message="seven")
    restored = store.restore("incidents", 1, author="carol")
    assert (restored.version, restored.action, restored.based_on) == (3, "restore", 1)
    assert len(store.read("incidents")) == 5
    assert len(store.read("incidents", version=2)) == 7  # history is kept


def test_settings_and_working_crs(new_store: Callable[..., WorkspaceStore]) -> None:
    store = new_store()
    store.write("incidents", incidents(3), message="m")
    assert store.working_crs().to_epsg() == 32635  # UTM 35N for Helsinki
    store.update_settings(name="街道 A")
    assert store.settings()["name"] == "街道 A"
    bounds = store.settings()["bounds"]
    assert 24.94 <= bounds[0] < bounds[2] <= 24.95


def beijing(lon: list[float], lat: list[float], *, prefix: str = "B") -> gpd.GeoDataFrame:
    n = len(lon)
    return gpd.GeoDataFrame(
        {
            "incident_id": [f"{prefix}{i}" for i in range(n)],
            "category": ["theft"] * n,
            "occurred_at": pd.to_datetime(["2026-03-01 10:00"] * n),
        },
        geometry=shapely.points(lon, lat),
        crs=4326,
    )


def test_bounds_and_working_crs_follow_the_current_versions(
    new_store: Callable[..., WorkspaceStore],
) -> None:
    store = new_store()
    good = beijing([116.40, 116.41], [39.90, 39.91])
    store.write("incidents", good, message="Beijing calls")
    store.write("posts", posts_at([116.42], [39.89]), message="one post")
    expected = [116.40, 39.89, 116.42, 39.91]
    assert store.settings()["bounds"] == pytest.approx(expected)
    assert store.working_crs().to_epsg() == 4548  # CGCS2000 GK zone 39 (117°E)
    # A bad row at "null island" widens the bounds and drags the working CRS to UTM 40N …
    store.write("incidents", beijing([116.40, 0.0], [39.90, 0.0]), message="bad file")
    assert store.settings()["bounds"] == pytest.approx([0.0, 0.0, 116.42, 39.90])
    assert store.working_crs().to_epsg() == 32640
    # … until the good version is restored: both follow the data back.
    store.restore("incidents", 1)
    assert store.settings()["bounds"] == pytest.approx(expected)
    assert store.working_crs().to_epsg() == 4548
    assert store.settings()["working_crs"] == "EPSG:4548"


def test_bounds_fall_back_to_the_spatial_index_without_a_recorded_extent(
    tmp_path: Path,
) -> None:
    store = GeoPackageStore(tmp_path / "w.gpkg")
    store.write("incidents", beijing([116.40, 116.41], [39.90, 39.91]), message="calls")
    store.write("incidents", beijing([116.40, 0.0], [39.90, 0.0]), message="bad file")
    table = store.history("incidents")[0].table
    with sqlite3.connect(store.path) as con:  # the GeoPackage spec makes extents optional
        con.execute(
            "UPDATE gpkg_contents SET min_x = NULL, min_y = NULL, max_x = NULL, max_y = NULL"
            " WHERE table_name = ?",
            (table,),
        )
    store.restore("incidents", 1)
    assert store.settings()["bounds"] == pytest.approx([116.40, 39.90, 116.41, 39.91])


def test_a_working_crs_set_by_the_user_is_kept(new_store: Callable[..., WorkspaceStore]) -> None:
    store = new_store()
    store.write("incidents", beijing([116.40, 116.41], [39.90, 39.91]), message="calls")
    store.update_settings(working_crs="EPSG:4547")
    store.write("incidents", beijing([116.40, 10.0], [39.90, 5.0]), message="far away")
    store.restore("incidents", 1)
    assert store.working_crs().to_epsg() == 4547
    assert store.settings()["bounds"] == pytest.approx([116.40, 39.90, 116.41, 39.91])
    store.update_settings(working_crs=None)  # hand the choice back to the data
    assert store.working_crs().to_epsg() == 4548


def posts_at(lon: list[float], lat: list[float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"post_id": [f"P{i}" for i in range(len(lon))], "name": ["岗"] * len(lon)},
        geometry=shapely.points(lon, lat),
        crs=4326,
    )


def test_nullable_integers_and_flags_read_back_as_written(
    new_store: Callable[..., WorkspaceStore],
) -> None:
    store = new_store()
    frame = posts_at([24.94, 24.95, 24.96], [60.17, 60.17, 60.17])
    frame["staff"] = pd.array([2, None, 4], dtype="Int64")
    frame["armed"] = pd.array([True, None, False], dtype="boolean")
    frame["full"] = pd.array([3, 5, 6], dtype="int64")
    store.write("posts", frame, message="posts with gaps")
    back = store.read("posts")
    assert back["staff"].dtype == "Int64"
    assert back["staff"].tolist() == [2, pd.NA, 4]
    assert back["armed"].dtype == "boolean"
    assert back["armed"].tolist() == [True, pd.NA, False]
    assert back["full"].dtype == "int64"  # whole columns keep numpy dtypes


def test_invalid_data_is_refused_before_anything_is_written(
    new_store: Callable[..., WorkspaceStore],
) -> None:
    store = new_store()
    store.write("incidents", incidents(3), message="ok")
    bad = incidents(3).drop(columns=["category"])
    with pytest.raises(ValidationError, match="category"):
        store.write("incidents", bad, message="bad")
    assert store.current_version("incidents") == 1
    assert store.orphan_tables() == []


def test_unknown_layer_version_and_backend_errors(new_store: Callable[..., WorkspaceStore]) -> None:
    store = new_store()
    with pytest.raises(StoreError, match="no data"):
        store.read("grids")
    store.write("incidents", incidents(2), message="m")
    with pytest.raises(StoreError, match="no version 9"):
        store.read("incidents", version=9)
    with pytest.raises(ValidationError, match="`layer` must be one of"):
        store.history("roads")
    with pytest.raises(StoreError, match="`schema` must be a lower-case SQL name"):
        open_workspace("postgresql://localhost/gridmap?schema=x;drop")
    with pytest.raises(StoreError, match="must say why"):
        store.write("incidents", incidents(2), message="  ")


def test_a_non_workspace_file_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"\x00\x01not a database at all" * 100)
    with pytest.raises(StoreError, match="not a GeoPackage workspace"):
        GeoPackageStore(junk)


def test_a_failing_writer_leaves_the_previous_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyogrio

    store = GeoPackageStore(tmp_path / "w.gpkg")
    store.write("incidents", incidents(10), message="good")
    settings = store.settings()
    real_write = pyogrio.write_dataframe

    def disk_fills_up_halfway(frame, path, **kwargs):  # type: ignore[no-untyped-def]
        real_write(frame.iloc[: len(frame) // 2], path, **kwargs)
        raise OSError("No space left on device")

    monkeypatch.setattr(pyogrio, "write_dataframe", disk_fills_up_halfway)
    with pytest.raises(StoreError, match=r"No space.*nothing was saved"):
        store.write("incidents", incidents(10, seed=3), message="breaks mid-write")
    monkeypatch.undo()
    assert store.current_version("incidents") == 1
    assert store.read("incidents")["incident_id"].tolist() == incidents(10)["incident_id"].tolist()
    # The half-written rows never reached the workspace, and their sidecar file is gone.
    assert store.orphan_tables() == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [".w.gpkg.lock", "w.gpkg"]
    assert store.settings() == settings


WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    from test_store import incidents
    from gridmap.store import GeoPackageStore
    store = GeoPackageStore({path!r})
    big = incidents(400_000, seed=5, prefix="BIG")
    print("writing", flush=True)
    store.write("incidents", big, message="big import that gets killed")
    print("done", flush=True)
    """
)


@pytest.mark.slow
def test_a_killed_writer_leaves_the_previous_state_readable_and_complete(tmp_path: Path) -> None:
    path = tmp_path / "w.gpkg"
    store = GeoPackageStore(path)
    before = incidents(1000, seed=4)
    store.write("incidents", before, message="before")
    script = WRITER.format(tests=str(Path(__file__).parent), path=str(path))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "writing"
    # Wait until GDAL is really writing rows (into the sidecar), then kill it hard.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        sidecars = list(tmp_path.glob(".w.*.part.gpkg"))
        if sidecars and sidecars[0].stat().st_size > 2_000_000:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the writer finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert list(tmp_path.glob(".w.*.part.gpkg")), "the killed writer left its sidecar"

    reopened = open_workspace(path)  # opening sweeps the dead writer's sidecar away
    assert not list(tmp_path.glob(".w.*.part.gpkg"))
    assert reopened.orphan_tables() == []
    assert reopened.integrity_ok()
    assert reopened.current_version("incidents") == 1
    after = reopened.read("incidents")
    assert len(after) == 1000
    assert after["incident_id"].tolist() == before["incident_id"].tolist()
    # The store keeps working: the next write lands as version 2.
    reopened.write("incidents", incidents(3, seed=6), message="after the crash")
    assert reopened.current_version("incidents") == 2
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_open_workspace_installs_the_sample_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    monkeypatch.delenv("GRIDMAP_WORKSPACE", raising=False)
    store = open_workspace()
    assert Path(store.location) == tmp_path / "sample.gpkg"
    assert {"grids", "incidents", "posts", "sites", "streets"} <= set(store.layers())
    named = open_workspace("district-b")
    assert Path(named.location) == tmp_path / "district-b.gpkg"
    assert named.layers() == []
    # Opening without creating names what exists, since the usual cause is a typo.
    with pytest.raises(WorkspaceNotFoundError, match=r"'distrct-b' in .*: district-b, sample$"):
        open_workspace("distrct-b", create=False)
    assert not (tmp_path / "distrct-b.gpkg").exists()
    (tmp_path / "sample.gpkg").unlink()
    assert "grids" in open_workspace(create=False).layers()  # the sample is still installed


def test_spatial_index_copied_into_the_workspace_answers_bbox_reads(
    new_store: Callable[..., WorkspaceStore],
) -> None:
    # The R-tree reaches the workspace node by node (not rebuilt); a bbox read goes
    # through it, so it must find exactly the points a brute-force test finds.
    store = new_store()
    frame = incidents(20_000, seed=8)
    store.write("incidents", frame, message="indexed")
    box = (24.943, 60.172, 24.946, 60.175)
    got = store.read("incidents", bbox=box)
    x, y = frame.geometry.x, frame.geometry.y
    inside = (x >= box[0]) & (x <= box[2]) & (y >= box[1]) & (y <= box[3])
    assert sorted(got["incident_id"]) == sorted(frame.loc[inside, "incident_id"])
    assert 100 < len(got) < 20_000
    assert store.integrity_ok()  # SQLite's rtreecheck() of every index / GiST present
    table = store.history("incidents")[-1].table
    if isinstance(store, GeoPackageStore):
        with sqlite3.connect(store.path) as con:
            con.execute(f'DELETE FROM "rtree_{table}_geom_parent"')  # break the index
    else:
        import psycopg

        with psycopg.connect(store.conninfo, autocommit=True) as con:
            plan = "\n".join(
                r[0]
                for r in con.execute(
                    f"EXPLAIN SELECT * FROM {store.schema}.{table}"
                    " WHERE geom && ST_MakeEnvelope(24.943, 60.172, 24.946, 60.175, 4326)"
                )
            )
            assert f"{table[-40:]}_geom" in plan  # the bbox read goes through the GiST
            con.execute(f'DROP INDEX {store.schema}."{table[-40:]}_geom"')
    assert not store.integrity_ok()


def test_qgis_sees_each_layer_current_version_under_its_plain_name(tmp_path: Path) -> None:
    import pyogrio

    store = GeoPackageStore(tmp_path / "w.gpkg")
    store.write("incidents", incidents(5), message="five")
    store.write("incidents", incidents(8, seed=1), message="eight")
    names = [name for name, _ in pyogrio.list_layers(store.path)]
    assert "incidents" in names
    assert len(pyogrio.read_dataframe(store.path, layer="incidents")) == 8
    store.restore("incidents", 1)
    assert len(pyogrio.read_dataframe(store.path, layer="incidents")) == 5
    assert pyogrio.read_info(store.path, layer="incidents")["geometry_type"] == "Point"
    assert store.integrity_ok()


def test_an_older_workspace_gets_its_plain_name_views_when_opened(tmp_path: Path) -> None:
    import pyogrio

    from gridmap.datasets import get_path

    path = tmp_path / "old.gpkg"
    path.write_bytes(Path(get_path("helsinki")).read_bytes())
    with sqlite3.connect(path) as con:  # as the sample was built before views existed
        for (view,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'view'"):
            con.execute(f'DROP VIEW "{view}"')
            con.execute("DELETE FROM gpkg_geometry_columns WHERE table_name = ?", (view,))
            con.execute("DELETE FROM gpkg_contents WHERE table_name = ?", (view,))
    store = GeoPackageStore(path)
    names = {name for name, _ in pyogrio.list_layers(path)}
    assert set(store.layers()) <= names
    grids = pyogrio.read_dataframe(path, layer="grids")
    assert len(grids) == store.history("grids")[-1].n_features


# -- PostGIS's own ------------------------------------------------------------------------
@pytest.fixture
def pg_store() -> Iterator[PostGISStore]:
    store = PostGISStore(postgres_url())
    yield store
    store.drop()


def pg_rows(store: PostGISStore, query: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(store.conninfo, autocommit=True) as con:
        return con.execute(query).fetchall()


def test_postgis_workspaces_open_by_url_environment_and_not_by_typo(
    pg_store: PostGISStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gridmap.store import workspace_label, workspace_location

    pg_store.write("incidents", incidents(4), message="four")
    monkeypatch.setenv("GRIDMAP_WORKSPACE", pg_store.location)
    opened = open_workspace()
    assert isinstance(opened, PostGISStore)
    assert opened.current_version("incidents") == 1
    assert workspace_location() == pg_store.location
    assert workspace_label() == pg_store.schema
    missing = postgres_url("nobody_here")
    with pytest.raises(WorkspaceNotFoundError, match="schema 'nobody_here' is missing"):
        open_workspace(missing, create=False)
    assert not pg_rows(
        pg_store, "SELECT 1 FROM pg_namespace WHERE nspname = 'nobody_here'"
    )  # nothing was created
    secret = "postgresql://u:s3cret@localhost/db?schema=a"
    assert "s3cret" not in PostGISStore.location_label(
        type("S", (), {"schema": "a", "conninfo": secret})()  # type: ignore[arg-type]
    )


def test_postgis_layers_are_tables_with_gist_indexes_and_a_current_view(
    pg_store: PostGISStore,
) -> None:
    pg_store.write("incidents", incidents(5), message="five")
    pg_store.write("incidents", incidents(8, seed=1), message="eight")
    schema = pg_store.schema
    assert pg_rows(pg_store, f"SELECT count(*) FROM {schema}.incidents") == [(8,)]
    pg_store.restore("incidents", 1)
    assert pg_rows(pg_store, f"SELECT count(*) FROM {schema}.incidents") == [(5,)]
    srid = pg_rows(pg_store, f"SELECT DISTINCT ST_SRID(geom) FROM {schema}.incidents")
    assert srid == [(4326,)]
    gist = pg_rows(
        pg_store,
        "SELECT count(*) FROM pg_indexes WHERE schemaname = "
        f"'{schema}' AND indexdef ILIKE '%USING gist%'",
    )
    assert gist == [(2,)]  # one per version table; the restore made none
    assert pg_store.integrity_ok()


def test_postgis_failing_writer_leaves_the_previous_version(
    pg_store: PostGISStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gridmap.store import _pgio

    pg_store.write("incidents", incidents(10), message="good")
    settings = pg_store.settings()
    real = _pgio.write_table

    def server_gives_up_after_the_rows(con, table, frame, name):  # type: ignore[no-untyped-def]
        real(con, table, frame, name)
        con.execute("SELECT 1/0")

    monkeypatch.setattr(_pgio, "write_table", server_gives_up_after_the_rows)
    with pytest.raises(StoreError, match=r"division by zero.*nothing was saved"):
        pg_store.write("incidents", incidents(10, seed=3), message="breaks mid-write")
    monkeypatch.undo()
    assert pg_store.current_version("incidents") == 1
    assert pg_store.orphan_tables() == []  # the new table went with the transaction
    assert pg_store.settings() == settings
    assert (
        pg_store.read("incidents")["incident_id"].tolist() == incidents(10)["incident_id"].tolist()
    )


@pytest.mark.slow
def test_a_killed_postgis_writer_leaves_the_previous_state(pg_store: PostGISStore) -> None:
    before = incidents(1000, seed=4)
    pg_store.write("incidents", before, message="before")
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_store import incidents
        from gridmap.store import open_workspace
        store = open_workspace({pg_store.location!r}, create=False)
        big = incidents(400_000, seed=5, prefix="BIG")
        print("writing", flush=True)
        store.write("incidents", big, message="big import that gets killed")
        print("done", flush=True)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "writing"
    deadline = time.monotonic() + 60
    copying = []
    while time.monotonic() < deadline and not copying:  # kill it mid-COPY
        copying = pg_rows(
            pg_store,
            "SELECT pid FROM pg_stat_activity WHERE query LIKE 'COPY%FROM STDIN%'"
            f" AND query LIKE '%{pg_store.schema}%'",
        )
        time.sleep(0.01)
    assert copying, "the writer never started copying rows"
    assert proc.poll() is None, "the writer finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(0.5)  # the server notices the closed connection and rolls back
    reopened = open_workspace(pg_store.location, create=False)
    assert reopened.current_version("incidents") == 1
    assert reopened.read("incidents")["incident_id"].tolist() == before["incident_id"].tolist()
    assert reopened.orphan_tables() == []
    assert reopened.integrity_ok()
    with reopened.writing(timeout=5):  # the dead writer's lock went with its connection
        pass
    reopened.write("incidents", incidents(3, seed=6), message="after the crash")
    assert reopened.current_version("incidents") == 2


def test_values_of_every_kind_read_back_as_written(
    new_store: Callable[..., WorkspaceStore],
) -> None:
    store = new_store()
    frame = posts_at([24.94, 24.95, 24.96, 24.97], [60.17] * 4)
    frame["name"] = ["", None, 'say "hi", then\nleave', "\\N"]  # empty ≠ missing ≠ "\N"
    frame["staff"] = pd.array([1, None, -3, 2**40], dtype="Int64")
    frame["speed"] = [1.5, np.nan, -0.1, 1e-12]
    frame["since"] = pd.to_datetime(
        ["2026-03-01 10:00:00.123", None, "1999-12-31 23:59:59", "2026-01-01"], format="ISO8601"
    )
    frame["opened"] = pd.to_datetime(
        ["2026-03-01 10:00+08:00", "2026-03-02 00:30+08:00", None, "2026-01-01 08:00+08:00"],
        format="ISO8601",
    ).tz_convert("Asia/Shanghai")
    store.write("posts", frame, message="every kind")
    back = store.read("posts")
    assert back["name"].tolist()[0] == ""
    assert pd.isna(back["name"].iloc[1])
    assert back["name"].tolist()[2:] == ['say "hi", then\nleave', "\\N"]
    assert back["staff"].tolist() == [1, pd.NA, -3, 2**40]
    assert back["speed"].iloc[[0, 2, 3]].tolist() == [1.5, -0.1, 1e-12]
    assert np.isnan(back["speed"].iloc[1])
    assert back["since"].iloc[0] == pd.Timestamp("2026-03-01 10:00:00.123")
    assert pd.isna(back["since"].iloc[1])
    opened = back["opened"].dropna().dt.tz_convert("UTC").tolist()
    assert opened == frame["opened"].dropna().dt.tz_convert("UTC").tolist()
    assert back.geometry.equals(frame.geometry)
    empty = store.write("posts", frame.iloc[:0], message="no posts left")
    assert empty.n_features == 0
    assert len(store.read("posts")) == 0
    assert list(store.read("posts").columns) == list(back.columns)
