"""Hostile and broken input against the new journeys (street office, patrol, many users).

Each test is one hole: it failed before its fix. Holes in files other people own are
marked ``xfail(strict=True)`` with the fix in the reason, so the test turns red the day
the hole is closed and the mark must go.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridmap._errors import GridmapError, ValidationError
from gridmap.patrol.tracks import GPS_EPOCH, clean_track, read_track

PASSWD_LINE = "root:x:0:0"


def _gpx(points: str, *, prolog: str = "", name: str = "u1") -> str:
    return (
        f'<?xml version="1.0"?>{prolog}<gpx version="1.1" creator="t"><trk><name>{name}</name>'
        f"<trkseg>{points}</trkseg></trk></gpx>"
    )


def _pt(lat: object, lon: object, time: str) -> str:
    return f'<trkpt lat="{lat}" lon="{lon}"><time>{time}</time></trkpt>'


# --- GPS tracks: XML entity tricks ---------------------------------------------------


@pytest.mark.parametrize(
    "prolog",
    [
        '<!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]>',  # XXE
        '<!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    ],
)
def test_gpx_with_a_document_type_is_refused_by_name(tmp_path, prolog):
    # expat already refuses external entities and caps expansion, but gpxpy switches to
    # lxml whenever it is installed, which resolves file:// entities: refuse any DTD.
    path = tmp_path / "track.gpx"
    path.write_text(_gpx(_pt(60.17, 24.94, "2025-11-03T08:00:00Z"), prolog=prolog, name="&x;"))
    with pytest.raises(ValidationError) as err:
        read_track(path)
    assert "document type" in str(err.value)
    assert "文档类型" in err.value.args[0].text("zh")
    assert PASSWD_LINE not in str(err.value)


def test_huge_gpx_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.gpx"
    body = _pt(60.17, 24.94, "2025-11-03T08:00:00Z") * 20_000  # ~1.3 MB
    path.write_text(_gpx(body))
    with pytest.raises(ValidationError, match="limit for a GPS track"):
        read_track(path, max_bytes=1_000_000)
    assert len(read_track(path, max_bytes=2_000_000)) == 20_000


# --- GPS tracks: broken CSV files get a clear message, not a pandas error ------------


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b'time,lon,lat\n"unterminated,24.94,60.17\n', "columns of the header"),
    ],
)
def test_broken_csv_tracks_raise_a_gridmap_error(tmp_path, content, words):
    path = tmp_path / "track.csv"
    path.write_bytes(content)
    with pytest.raises(GridmapError, match=words):
        read_track(path)


def test_csv_track_mixing_time_zones_is_read_fix_by_fix(tmp_path):
    path = tmp_path / "track.csv"
    path.write_text(
        "time,lon,lat\n2025-11-03T16:00:00+08:00,24.94,60.17\n"
        "2025-11-03T08:00:10Z,24.9401,60.17\n2025-11-03 08:00:20,24.9402,60.17\n"
    )
    times = read_track(path)["time"]
    # independent: the offsets by hand (+08:00 is 8 h ahead of UTC)
    assert times.tolist() == [
        pd.Timestamp("2025-11-03 08:00:00"),
        pd.Timestamp("2025-11-03 08:00:10"),
        pd.Timestamp("2025-11-03 08:00:20"),
    ]


# --- GPS tracks: bad fixes are dropped and counted, good fixes kept -----------------


def test_gpx_fixes_with_nan_inf_or_out_of_range_coordinates_are_dropped_not_the_file(tmp_path):
    good = [_pt(60.17 + i * 1e-5, 24.94, f"2025-11-03T08:00:{10 * i:02d}Z") for i in range(4)]
    bad = [
        _pt("nan", 24.94, "2025-11-03T08:01:00Z"),
        _pt(60.17, "inf", "2025-11-03T08:01:10Z"),
        _pt(95, 24.94, "2025-11-03T08:01:20Z"),
        _pt(60.17, -181, "2025-11-03T08:01:30Z"),
    ]
    path = tmp_path / "track.gpx"
    path.write_text(_gpx("".join(good[:2] + bad + good[2:])))
    clean, notes = clean_track(read_track(path), mode="walk")
    assert len(clean) == 4
    assert np.allclose(clean.geometry.y, [60.17 + i * 1e-5 for i in range(4)])
    assert any("4 fixes with missing coordinates" in n for n in notes)
    assert any("4 个坐标" in n.text("zh") for n in notes)


def test_track_with_only_impossible_coordinates_says_so(tmp_path):
    path = tmp_path / "track.csv"
    path.write_text("time,lon,lat\n2025-11-03 08:00:00,240,60\n2025-11-03 08:00:10,inf,60\n")
    with pytest.raises(ValidationError, match="no fix with valid coordinates"):
        read_track(path)


def test_absurd_negative_and_far_future_times_are_dropped_with_a_message(tmp_path):
    rows = [
        "-1",  # year -1: outside pandas' nanosecond range, used to fail the whole read
        "9999-12-31 00:00:00",
        "1677-01-01 00:00:00",
        "nan",
        "2025-11-03 08:00:00",
        "2025-11-03 08:00:10",
    ]
    path = tmp_path / "track.csv"
    path.write_text("time,lon,lat\n" + "".join(f"{t},24.94,60.17\n" for t in rows))
    clean, notes = clean_track(read_track(path), mode="walk")
    assert clean["time"].tolist() == [pd.Timestamp(rows[4]), pd.Timestamp(rows[5])]
    assert (clean["time"] >= GPS_EPOCH).all()
    assert any(n.startswith("3 fixes with an impossible time") for n in notes)
    assert any(n == "1 fixes without a timestamp dropped" for n in notes)


def test_clean_track_notes_read_in_chinese(tmp_path):
    path = tmp_path / "track.csv"
    path.write_text(
        "time,lon,lat\n2025-11-03 08:00:00,24.94,60.17\n2025-11-03 08:00:00,24.94,60.17\n"
        ",24.94,60.17\n2025-11-03 08:00:10,24.94,60.17\n2025-11-03 08:00:20,25.94,60.17\n"
        "2025-11-03 08:00:30,24.94,60.17\n"
    )
    _clean, notes = clean_track(read_track(path), mode="walk")
    zh = [n.text("zh") for n in notes]
    assert any("没有时间戳" in z for z in zh)
    assert any("时间戳重复" in z for z in zh)
    assert any("跳点" in z for z in zh)


# --- PostGIS workspace URLs ----------------------------------------------------------


def test_schema_name_with_a_trailing_newline_is_refused():
    from gridmap._errors import StoreError
    from gridmap.store._pglock import parse_url

    assert parse_url("postgresql://u@h/db?schema=abc")[1] == "abc"
    for schema in ("abc%0A", "abc%0A%0A", "a%22%3Bdrop", "ABC", "a%20b"):
        with pytest.raises(StoreError, match="`schema` must be"):
            parse_url(f"postgresql://u@h/db?schema={schema}")


def test_a_password_given_as_a_query_parameter_is_never_shown(tmp_path):
    from gridmap._errors import StoreError
    from gridmap.store import open_workspace
    from gridmap.store._pglock import redact_url

    url = f"postgresql://gridmap@/db?host={tmp_path}&password=topsecret&sslpassword=s3&schema=x"
    assert "topsecret" not in redact_url(url)
    assert "s3" not in redact_url(url).replace("schema", "")
    assert redact_url("postgresql://u:pw@h/db?schema=x") == "postgresql://u:***@h/db?schema=x"
    with pytest.raises(StoreError) as err:  # a real libpq attempt on an empty socket folder
        open_workspace(url, create=False)
    assert "cannot reach" in str(err.value)
    assert "topsecret" not in str(err.value)


# --- accounts and sign-in (gridmap/access: owned elsewhere, holes marked xfail) -------


@pytest.fixture
def accounts(tmp_path):
    from gridmap.access import access_storage, add_account
    from gridmap.store import GeoPackageStore

    storage = access_storage(GeoPackageStore(tmp_path / "office.gpkg"))
    add_account(storage, "admin", password="correct horse", role="administrator")
    return storage


def test_back_off_is_not_bypassed_by_letter_case_or_spaces(accounts):
    from gridmap.access import SignInError, SignInThrottle, sign_in

    throttle = SignInThrottle(free_attempts=2, base_delay=60)
    for typed in ("admin", "ADMIN", " Admin "):
        with pytest.raises(SignInError):
            sign_in(accounts, typed, "wrong guess", throttle=throttle)
    with pytest.raises(SignInError, match="too many failed sign-ins"):  # right one waits too
        sign_in(accounts, "admin", "correct horse", throttle=throttle)


def test_parallel_wrong_passwords_are_throttled_after_the_free_attempts(accounts):
    import threading

    from gridmap.access import SignInError, SignInThrottle, sign_in

    throttle = SignInThrottle(free_attempts=2, base_delay=60)
    answers: list[str] = []

    def attempt() -> None:
        try:
            sign_in(accounts, "admin", "wrong guess", throttle=throttle)
        except SignInError as exc:
            answers.append(exc.args[0].key)

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # at most the free attempts (plus the one that starts the wait) reach the password check
    assert answers.count("access_sign_in_failed") <= 3


def test_a_whole_office_behind_one_proxy_signs_in_at_once(accounts):
    # Every browser has the proxy's address: sign-ins in flight are no failures of it.
    import threading

    from gridmap.access import SignInThrottle, add_account, sign_in

    names = [f"worker{i:02d}" for i in range(12)]
    for name in names:
        add_account(accounts, name, password=f"{name} pass", role="viewer")
    throttle = SignInThrottle(free_attempts=2, base_delay=60)
    signed: list[str] = []
    errors: list[Exception] = []

    def attempt(name: str) -> None:
        try:
            signed.append(
                sign_in(accounts, name, f"{name} pass", client="10.1.1.1", throttle=throttle).user
            )
        except Exception as exc:  # collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=attempt, args=(name,)) for name in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(signed) == names
    assert throttle.wait_seconds("someone", "10.1.1.1") == 0


def test_parallel_guesses_at_many_names_from_one_client_are_then_throttled(accounts):
    # Spraying: the guesses in flight pass, their failures then slow the address down.
    from gridmap.access import SignInError, SignInThrottle, sign_in

    throttle = SignInThrottle(free_attempts=2, base_delay=60)
    for name in ("li", "zhang", "zhao"):
        with pytest.raises(SignInError):
            sign_in(accounts, name, "guess", client="10.1.1.2", throttle=throttle)
    assert throttle.wait_seconds("admin", "10.1.1.2") > 0
    with pytest.raises(SignInError, match="too many failed sign-ins"):
        sign_in(accounts, "admin", "correct horse", client="10.1.1.2", throttle=throttle)
    assert sign_in(accounts, "admin", "correct horse", client="10.1.1.3", throttle=throttle)


def test_look_alike_account_names_are_refused(accounts):
    from gridmap.access import add_account

    for name in ("Admin", "ＡＤＭＩＮ"):
        with pytest.raises(GridmapError):
            add_account(accounts, name, password="another pass", role="viewer")


# --- route exports with hostile names ----------------------------------------------


def test_route_exports_stay_readable_and_inert_with_hostile_names(tmp_path):
    import json

    import gpxpy

    from gridmap.patrol.exports import route_geojson, route_gpx, route_sheet_html
    from gridmap.patrol.routing import plan_patrol_routes

    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 2000, (6, 2))
    times = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) / 1.3
    lonlat = np.column_stack([24.93 + xy[:, 0] / 55000, 60.16 + xy[:, 1] / 111000])
    stops = pd.DataFrame({"stop": ["s1", "s2", "s3", "s4"], "node": [2, 3, 4, 5]})
    unit = "一组\x01<b>"
    plan = plan_patrol_routes(
        times,
        stops,
        pd.DataFrame({"unit": [unit], "start": [0], "end": [1]}),
        shift=5 * 3600,
        time_limit=0.2,
    )
    route = plan.routes[0]
    names = {
        "s1": "<img src=x onerror=alert(1)>",
        "s2": '**md** =HYPERLINK("http://x")',
        "s3": "门口\x0b\x00\ufffe一号",  # controls XML forbids
        "s4": "]]><script>alert(2)</script>",
    }
    text = route_gpx(route, lonlat, names=names, path=lonlat[route.nodes])
    gpx = gpxpy.parse(text)  # well-formed: it failed on \x0b, \x00 and \ufffe
    got = {p.name[3:] for p in gpx.waypoints}
    assert "门口   一号" in got
    assert "<img src=x onerror=alert(1)>" in got  # kept as text, escaped in the XML
    assert "<img" not in text
    assert "<script>" not in text
    assert gpx.routes[0].name == "一组 <b>"
    geo = json.loads(json.dumps(route_geojson(route, lonlat, names=names)))
    assert {f["properties"]["name"] for f in geo["features"][1:]} >= set(names.values())
    html = route_sheet_html(route, names=names, dropped=["s4"])
    assert "<img" not in html
    assert "<script>" not in html
    assert "<b>" not in html


# --- maps with hostile names (coverage and posts) ----------------------------------

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(2)</script>",
    "**md** [x](http://evil.example)",
    '=HYPERLINK("http://evil.example")',
]


@pytest.fixture(scope="module")
def sample_copy(tmp_path_factory):
    from gridmap.store import install_sample_workspace

    return install_sample_workspace(tmp_path_factory.mktemp("ws") / "sample.gpkg")


def test_coverage_map_escapes_post_site_and_grid_names(sample_copy):
    from gridmap.patrol import network, views
    from gridmap.store import GeoPackageStore

    store = GeoPackageStore(sample_copy, create=False)
    streets = store.read("streets")
    posts = store.read("posts")
    sites = store.read("sites")
    grids = store.read("grids")
    posts["name"] = [HOSTILE[i % len(HOSTILE)] for i in range(len(posts))]
    posts["mode"] = ["<b>walk</b>"] + ["walk"] * (len(posts) - 1)
    sites["name"] = [HOSTILE[i % len(HOSTILE)] for i in range(len(sites))]
    grids["name"] = [HOSTILE[i % len(HOSTILE)] for i in range(len(grids))]
    graphs = network.street_graphs(streets, crs=store.working_crs())
    patrol = views.prepare(graphs, streets=streets, sites=sites, grids=grids)
    report = views.coverage(patrol, posts, "posts")
    html = views.coverage_map(patrol, report, posts, lang="zh").get_root().render()
    assert "onerror" in html  # the names are on the map ...
    assert "<img src=x" not in html  # ... as text, never as markup
    assert "</script><script>alert" not in html
    assert "<b>walk" not in html


# --- map clicks (st_folium's payload) ------------------------------------------------


def test_a_click_on_a_repeated_world_copy_is_the_same_place():
    from gridmap.patrol.views import place_from_click

    for lng in (24.94, 24.94 + 360, 24.94 - 720):
        assert place_from_click({"last_clicked": {"lat": 60.17, "lng": lng}}) == (24.94, 60.17)


@pytest.mark.parametrize(
    "clicked",
    [
        {"lat": float("nan"), "lng": 24.9},
        {"lat": 60.1, "lng": float("inf")},
        {"lat": "nan", "lng": "24.9"},
        {"lat": 91, "lng": 24.9},
        {"lat": "60.1<script>", "lng": 24.9},
        {"lat": None, "lng": 24.9},
        {"lng": 24.9},
        ["not", "a", "dict"],
    ],
)
def test_clicks_with_nan_inf_or_junk_are_refused_by_name(clicked):
    from gridmap.patrol.views import Edit, place_from_click

    with pytest.raises(ValidationError, match="`"):
        place_from_click({"last_clicked": clicked})
    with pytest.raises(ValidationError, match="`place`"):
        Edit("posts", "add", place=(float("nan"), 60.0))


# --- the weekly report with hostile categories (street office) -----------------------


def test_weekly_report_keeps_hostile_categories_as_text_cells(sample_copy, tmp_path):
    import openpyxl

    from gridmap.hotspots.report import weekly_report
    from gridmap.store import GeoPackageStore

    store = GeoPackageStore(sample_copy, create=False)
    incidents, grids = store.read("incidents"), store.read("grids")
    hostile = [*HOSTILE, "+1+cmd", "-2+3", "@SUM(A1)", "$\\frac{1}{2}$"]
    cats = sorted(incidents["category"].unique())
    incidents["category"] = incidents["category"].map(
        {c: hostile[i % len(hostile)] for i, c in enumerate(cats)}
    )
    grids["name"] = [hostile[i % len(hostile)] for i in range(len(grids))]
    end = pd.Timestamp(incidents["occurred_at"].max()).normalize() + pd.Timedelta(days=1)
    out = weekly_report(
        {"incidents": incidents, "grids": grids}, week_end=end, path=tmp_path / "r.xlsx", top=1
    )
    cells = [c for ws in openpyxl.load_workbook(out) for row in ws.iter_rows() for c in row]
    texts = {c.value for c in cells if c.data_type == "s"}
    assert '=HYPERLINK("http://evil.example")' in texts  # shown as written ...
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # ... never a formula
    assert list((tmp_path / "r_maps").glob("*.png"))


# --- gridmap copy: two copies into one new workspace ---------------------------------


def _two_copies(sample_copy, tmp_path) -> list[str]:
    """Two copies into one new workspace, started while a third writer holds it."""
    import threading

    from gridmap.store import GeoPackageStore, copy_workspace

    source = GeoPackageStore(sample_copy, create=False)
    target_path = tmp_path / "copy.gpkg"
    holder = GeoPackageStore(target_path)
    outcomes: list[str] = []
    refusals: list[str] = []

    def copy() -> None:
        try:
            copy_workspace(source, GeoPackageStore(target_path))
            outcomes.append("copied")
        except GridmapError as exc:
            outcomes.append("refused")
            refusals.append(str(exc))

    threads = [threading.Thread(target=copy) for _ in range(2)]
    with holder.writing():  # both copies start while someone else writes
        for t in threads:
            t.start()
        threads[0].join(timeout=2)
        threads[1].join(timeout=2)
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["copied", "refused"]
    target = GeoPackageStore(target_path, create=False)
    for layer in source.layers():
        assert len(target.history(layer)) == len(source.history(layer))
    return refusals


def test_two_copies_into_one_empty_workspace_do_not_both_write(sample_copy, tmp_path):
    assert len(_two_copies(sample_copy, tmp_path)) == 1


def test_the_second_simultaneous_copy_is_told_the_workspace_is_taken(sample_copy, tmp_path):
    refusals = _two_copies(sample_copy, tmp_path)
    assert "already holds layers" in refusals[0]


# --- a million fixes: the jump rule walks only the suspicious pairs -----------------


def _jumps_by_loop(xs, ys, secs, units, max_speed):
    """The rule as first written: every fix against the last kept fix of its unit."""
    keep, jumps, last = np.ones(len(xs), bool), [], -1
    for i in range(len(xs)):
        if last < 0 or units[i] != units[last]:
            last = i
            continue
        d = float(np.hypot(xs[i] - xs[last], ys[i] - ys[last]))
        if d > max_speed * max(secs[i] - secs[last], 1.0):
            keep[i] = False
            jumps.append(i)
        else:
            last = i
    return keep, jumps


@pytest.mark.parametrize("seed", range(6))
def test_jump_rule_equals_the_plain_loop(seed):
    from gridmap.patrol.tracks import _jumps

    rng = np.random.default_rng(seed)
    n = 3000
    secs = np.cumsum(rng.choice([0.5, 1, 5, 10, 400], n)).astype(float)
    xs = np.cumsum(rng.normal(0, 8, n))
    ys = np.cumsum(rng.normal(0, 8, n))
    hit = rng.random(n) < 0.05  # jumps of 1-3 km, some lasting several fixes
    hit |= np.roll(hit, 1) & (rng.random(n) < 0.5)
    xs[hit] += rng.uniform(1000, 3000, hit.sum())
    units = np.repeat(np.array(["U1", "U2", "U3"]), [n // 3, n // 3, n - 2 * (n // 3)])
    keep, jumps = _jumps(xs, ys, secs, units, 4.0)
    want_keep, want_jumps = _jumps_by_loop(xs, ys, secs, units, 4.0)
    assert jumps == want_jumps
    assert np.array_equal(keep, want_keep)
    assert 0 < len(jumps) < n


# --- a PostGIS workspace's password never reaches the page ------------------------


def test_the_sidebar_never_shows_a_postgis_password(sample_copy, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from gridmap.store import GeoPackageStore, PostGISStore, copy_workspace
    from tests.test_store import postgres_url

    url = postgres_url() + "&password=topsecret"  # the test server trusts local sockets
    target = PostGISStore(url)
    try:
        copy_workspace(GeoPackageStore(sample_copy, create=False), target)
        target.update_settings(attribution="")  # a city's own data: credited by name
        monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
        monkeypatch.setenv("GRIDMAP_WORKSPACE", url)
        app = AppTest.from_file("../streamlit_app.py", default_timeout=120)
        app.run()
        shown = [e.value for e in (*app.sidebar.caption, *app.sidebar.markdown)]
        shown += [e.value for e in (*app.caption, *app.markdown)]
        shown += [f"{e.message} {e.stack_trace}" for e in app.exception]
        assert not [s for s in shown if "topsecret" in str(s)]
        assert not app.exception
        assert any("data" in str(s) or "数据" in str(s) for s in shown)
    finally:
        target.drop()


# --- GPX read by streaming: the same fixes as gpxpy ---------------------------------


def test_streamed_gpx_reads_the_same_fixes_as_gpxpy(tmp_path):
    import gpxpy

    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.0" creator="t" xmlns="http://www.topografix.com/GPX/1/0">'
        "<wpt lat='1' lon='2'><name>not a fix</name></wpt>"
        "<trk><name>一组 &amp; &lt;b&gt;</name><trkseg>"
        + _pt(60.17, 24.94, "2025-11-03T08:00:00Z")
        + _pt(60.1701, 24.9401, "2025-11-03T16:00:10+08:00")
        + '<trkpt lat="60.1702" lon="24.9402"/>'
        + "</trkseg><trkseg>"
        + _pt(60.1703, 24.9403, "2025-11-03T08:00:30.5Z")
        + "</trkseg></trk><trk><trkseg>"
        + _pt(60.18, 24.95, "2025-11-03T09:00:00Z")
        + "</trkseg></trk></gpx>"
    )
    path = tmp_path / "u9.gpx"
    path.write_text(text, encoding="utf-8")
    got = read_track(path)
    gpx = gpxpy.parse(text)
    want = [
        (trk.name or "u9", pt.time, pt.longitude, pt.latitude)
        for trk in gpx.tracks
        for seg in trk.segments
        for pt in seg.points
    ]
    assert got["unit"].tolist() == [w[0] for w in want]
    assert got["unit"].iloc[0] == "一组 & <b>"
    times = [None if w[1] is None else pd.Timestamp(w[1]).tz_convert(None) for w in want]
    assert [None if pd.isna(t) else t for t in got["time"]] == times
    assert np.allclose(got.geometry.x, [w[2] for w in want])
    assert np.allclose(got.geometry.y, [w[3] for w in want])
    (tmp_path / "kml.gpx").write_text('<?xml version="1.0"?><kml><Placemark/></kml>')
    with pytest.raises(ValidationError, match="not <gpx>"):
        read_track(tmp_path / "kml.gpx")
