"""GPX files: their track points as a table of fixes, read safely (:func:`read_gpx`).

One reader for every GPX file gridmap opens: the Data page's and ``gridmap import``'s
``tracks`` imports (through :func:`gridmap.io.import_file`) and the Patrol routes page's
tracks (:func:`gridmap.patrol.tracks.read_track`). GDAL's GPX driver is not used: it is
not on the allow-list of :mod:`gridmap.io._drivers`, and it builds every point in memory.

The file is streamed by ElementTree's ``iterparse`` (expat) rather than parsed by gpxpy,
which builds an object per point: 100,000 points (7 MB) took gpxpy 18 s and 300 MB. It is
parsed through defusedxml with document types forbidden: GPX needs none, and refusing any
keeps entity tricks (XXE, "billion laughs") out whatever the file's encoding.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from xml.etree import ElementTree

import pandas as pd
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from gridmap._errors import ImportFileError
from gridmap.i18n import Message
from gridmap.io._files import check_path, upload_limit

#: Columns of :attr:`GpxPoints.frame`, all text as written in the file (``speed`` in m/s,
#: GPX 1.0's ``<speed>``; empty when the file has none).
GPX_COLUMNS = ("unit", "time", "lon", "lat", "speed")


@dataclass(frozen=True)
class GpxPoints:
    """What a GPX file holds: its track points, and how many points it holds besides.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per track point (``<trkpt>``), columns :data:`GPX_COLUMNS`: the unit is the
        track's ``<name>``, else the file's name without extension.
    waypoints : int
        ``<wpt>`` elements: marked places, not recorded fixes.
    route_points : int
        ``<rtept>`` elements: a planned route's turn points (a route sheet's GPX has them).
    """

    frame: pd.DataFrame
    waypoints: int = 0
    route_points: int = 0


def read_gpx(path: str | os.PathLike[str], *, max_bytes: int | None = None) -> GpxPoints:
    """Read the track points of a GPX 1.0/1.1 file, streamed, refusing document types.

    Parameters
    ----------
    path : path-like
        A ``.gpx`` file.
    max_bytes : int, optional
        Size limit (default the upload limit, :data:`gridmap.io.DEFAULT_MAX_BYTES` or
        ``GRIDMAP_MAX_UPLOAD_MB``), checked before a byte is parsed.

    Returns
    -------
    GpxPoints
        The track points as text, and the counts of waypoints and route points.

    Raises
    ------
    ImportFileError
        The file is missing, empty, over the limit, declares a document type
        (``<!DOCTYPE>``/``<!ENTITY>``), is not well-formed XML, or is not ``<gpx>``.
    """
    p = check_path(path, upload_limit(max_bytes))
    rows: list[tuple[str | None, ...]] = []
    names: list[str | None] = []  # per track, filled when the track ends
    track_of: list[int] = []
    tags: list[str] = []
    point: dict[str, str | None] = {}
    track_name: str | None = None
    counts = {"wpt": 0, "rtept": 0}
    try:
        for event, element in iterparse(str(p), events=("start", "end"), forbid_dtd=True):
            tag = element.tag.rsplit("}", 1)[-1]
            if event == "start":
                if not tags and tag != "gpx":
                    detail = f"the file is <{tag[:40]}>, not <gpx>"
                    raise ImportFileError(Message("gpx_unreadable", name=p.name, detail=detail))
                tags.append(tag)
                if tag == "trk":
                    track_name = None
                elif tag == "trkpt":
                    point = {}
                continue
            tags.pop()
            parent = tags[-1] if tags else ""
            if tag == "name" and parent == "trk":
                track_name = (element.text or "").strip() or None
            elif tag in ("time", "speed") and parent == "trkpt":
                point[tag] = (element.text or "").strip() or None
            elif tag == "trkpt":
                lon, lat = element.get("lon"), element.get("lat")
                rows.append((None, point.get("time"), lon, lat, point.get("speed")))
                track_of.append(len(names))
                element.clear()  # streamed: a finished point is not kept
            elif tag == "trk":
                names.append(track_name)
                element.clear()
            elif tag in counts:
                counts[tag] += 1
                element.clear()
    except DefusedXmlException:
        raise ImportFileError(Message("gpx_document_type", name=p.name)) from None
    except ImportFileError:
        raise  # ours, already saying what is wrong (it is a ValueError too)
    except (ElementTree.ParseError, ValueError) as exc:
        # expat raises ValueError ("multi-byte encodings are not supported") for a file
        # declaring UTF-16/32 without a byte-order mark: a careless file, not a crash.
        detail = str(exc).strip()[:200] or "?"
        raise ImportFileError(Message("gpx_unreadable", name=p.name, detail=detail)) from None
    frame = pd.DataFrame(rows, columns=list(GPX_COLUMNS), dtype=object)
    frame["unit"] = [names[k] if k < len(names) and names[k] else p.stem for k in track_of]
    return GpxPoints(frame, waypoints=counts["wpt"], route_points=counts["rtept"])
