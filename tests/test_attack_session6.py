"""Attacker pass on GPX import, shared maps and scoped stores (issues #8 #9 #10)."""

from __future__ import annotations

import pytest

from gridmap._errors import ImportFileError
from gridmap.io import read_gpx

_TRACK = (
    '<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>{name}</name>'
    '<trkseg><trkpt lat="60.17" lon="24.94"><time>2024-05-01T08:00:00Z</time></trkpt>'
    '<trkpt lat="60.171" lon="24.941"><time>2024-05-01T08:01:00Z</time></trkpt>'
    "</trkseg></trk></gpx>"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-be", "utf-32"])
def test_gpx_document_type_refused_in_any_encoding(tmp_path, encoding):
    """An entity bomb or XXE in a DTD is refused whatever the file's encoding."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    body = (
        f'<?xml version="1.0" encoding="{encoding}"?>'
        f'<!DOCTYPE gpx [<!ENTITY x SYSTEM "file://{secret}">]>' + _TRACK.format(name="&x;")
    )
    path = tmp_path / "evil.gpx"
    path.write_bytes(body.encode(encoding))
    with pytest.raises(ImportFileError):
        read_gpx(path)


def test_gpx_name_kept_as_text(tmp_path):
    """A track name holding markup is read as plain text (pages must escape it)."""
    name = "&lt;img src=x onerror=alert(1)&gt;=HYPERLINK(1)"
    path = tmp_path / "t.gpx"
    path.write_text(_TRACK.format(name=name), encoding="utf-8")
    points = read_gpx(path)
    assert set(points.frame["unit"]) == {"<img src=x onerror=alert(1)>=HYPERLINK(1)"}


def test_route_download_names_are_one_plain_file_name() -> None:
    from app_pages._patrol_form import download_name

    assert download_name("../../etc/passwd", "gpx") == "route_.._.._etc_passwd.gpx"
    assert download_name('a"b\nc', "geojson") == "route_a_b_c.geojson"
    assert download_name("巡逻一组", "html") == "route_巡逻一组.html"
    for name in ("../x", "a\\b", "<x>", "c:d"):
        made = download_name(name, "gpx")
        assert not set(made) & set('/\\"<>:|?*')
