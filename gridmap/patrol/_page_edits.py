"""Edits of the posts and key-sites layers made on the Coverage & posts page's map.

Part of :mod:`gridmap.patrol.views` (which re-exports these); no Streamlit. An edit is a
plain, hashable :class:`Edit` (the page caches previews on it and keeps it in the session
until it is saved): add a feature at a place, move one, or remove one. The map gives the
place as the dict ``st_folium`` returns (:func:`place_from_click`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from gridmap._errors import ValidationError
from gridmap.crs import gcj02_to_wgs84

#: Layers the page edits, with their id column and the prefix of new ids.
EDITABLE = {"posts": ("post_id", "P"), "sites": ("site_id", "S")}
ACTIONS = ("add", "move", "remove")
#: Attributes a new feature takes from the form, per layer (the schema's optional columns).
ATTRIBUTES = {
    "posts": ("name", "kind", "mode", "staff"),
    "sites": ("name", "kind", "response_class"),
}


@dataclass(frozen=True)
class Edit:
    """One change of the posts or sites layer, not yet saved.

    Attributes
    ----------
    layer : {"posts", "sites"}
    action : {"add", "move", "remove"}
    feature_id : str or None
        The post or site moved or removed (None when adding).
    place : (lon, lat) or None
        WGS-84 degrees of the new place (add, move).
    attributes : tuple of (column, value)
        The new feature's name, kind, mode and staff (posts) or name, kind and
        response class (sites); hashable, so previews can be cached on the edit.
    """

    layer: str
    action: str
    feature_id: str | None = None
    place: tuple[float, float] | None = None
    attributes: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.layer not in EDITABLE:
            msg = f"`layer` must be one of {', '.join(EDITABLE)}; got {self.layer!r}"
            raise ValidationError(msg)
        if self.action not in ACTIONS:
            msg = f"`action` must be one of {', '.join(ACTIONS)}; got {self.action!r}"
            raise ValidationError(msg)
        if self.action != "add" and not self.feature_id:
            msg = f"`feature_id` must name the {self.layer[:-1]} to {self.action}"
            raise ValidationError(msg)
        if self.action != "remove" and self.place is None:
            msg = f"`place` (lon, lat) is needed to {self.action} a {self.layer[:-1]}"
            raise ValidationError(msg)
        if self.place is not None:
            _check_lonlat(*self.place)
        unknown = sorted({k for k, _ in self.attributes} - set(ATTRIBUTES[self.layer]))
        if unknown:
            msg = f"`attributes` of {self.layer} cannot set {', '.join(unknown)}"
            raise ValidationError(msg)


def _check_lonlat(lon: float, lat: float) -> None:
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        msg = f"`place` must be WGS-84 longitude/latitude in degrees; got ({lon}, {lat})"
        raise ValidationError(msg)


def place_from_click(
    value: Mapping[str, Any] | None, *, shift: str | None = None
) -> tuple[float, float] | None:
    """The WGS-84 (lon, lat) of the last click on a map, from the dict ``st_folium`` returns.

    Parameters
    ----------
    value : mapping or None
        ``st_folium``'s return value; its ``last_clicked`` is ``{"lat": …, "lng": …}`` in the
        map's coordinates (None before any click).
    shift : {"gcj02", None}
        The map's ``gridmap_shift``: on GCJ-02 tiles (Amap) the click is shifted back to
        WGS-84 (iterative inverse, :func:`gridmap.crs.gcj02_to_wgs84`).

    Returns
    -------
    (lon, lat) or None
        Rounded to 7 decimals (~1 cm), longitude wrapped into -180..180; None when nothing
        was clicked.

    Raises
    ------
    ValidationError
        when the click holds no numbers, NaN or infinities, or a latitude beyond ±90°.
    """
    clicked = (value or {}).get("last_clicked")
    if not clicked:
        return None
    try:
        lon, lat = float(clicked["lng"]), float(clicked["lat"])
    except (KeyError, TypeError, ValueError) as exc:
        msg = f"`value['last_clicked']` must hold lat and lng numbers; got {clicked!r}"
        raise ValidationError(msg) from exc
    if math.isfinite(lon) and not -180 <= lon <= 180:
        # a click on one of the world's copies east or west of the first (Leaflet repeats
        # the world when panned across the date line): the same place, as LatLng.wrap() says
        lon = (lon + 180.0) % 360.0 - 180.0
    _check_lonlat(lon, lat)
    if shift == "gcj02":
        x, y = gcj02_to_wgs84(lon, lat)
        lon, lat = float(x), float(y)
    return round(lon, 7), round(lat, 7)


def next_id(taken: Any, prefix: str) -> str:
    """A new id after the largest ``<prefix><digits>`` in `taken`, padded like it (P08 → P09).

    Ids of another form are skipped but never repeated.
    """
    taken = {str(v) for v in taken}
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)$")
    numbers = [m.group(1) for m in map(pattern.match, taken) if m]
    width = max((len(n) for n in numbers), default=2)
    n = max((int(v) for v in numbers), default=0) + 1
    while f"{prefix}{n:0{width}d}" in taken:
        n += 1
    return f"{prefix}{n:0{width}d}"


def _empty(layer: str) -> gpd.GeoDataFrame:
    id_column = EDITABLE[layer][0]
    return gpd.GeoDataFrame({id_column: pd.Series(dtype=str)}, geometry=[], crs="EPSG:4326")


def apply_edit(
    frame: gpd.GeoDataFrame | None, edit: Edit
) -> tuple[gpd.GeoDataFrame, tuple[str, ...]]:
    """The layer after `edit`, and the ids it added or moved (to highlight them).

    Parameters
    ----------
    frame : geopandas.GeoDataFrame or None
        The current version of ``edit.layer`` (None or empty: a first feature is added).
    edit : Edit

    Returns
    -------
    (GeoDataFrame, tuple of str)
        A new frame in `frame`'s CRS (EPSG:4326 for a first feature); other rows unchanged.

    Raises
    ------
    ValidationError
        when the feature to move or remove is not in the layer.
    """
    id_column, prefix = EDITABLE[edit.layer]
    current = frame if frame is not None and len(frame) else _empty(edit.layer)
    ids = current[id_column].astype(str)
    point = None
    if edit.place is not None:
        lonlat = gpd.GeoSeries([shapely.Point(*edit.place)], crs="EPSG:4326")
        point = lonlat.to_crs(current.crs).iloc[0]
    if edit.action in ("move", "remove") and str(edit.feature_id) not in set(ids):
        msg = f"`{id_column}` {edit.feature_id!r} is not in the current {edit.layer} layer"
        raise ValidationError(msg)
    if edit.action == "remove":
        return current[ids != str(edit.feature_id)].reset_index(drop=True), ()
    if edit.action == "move":
        geoms = current.geometry.copy()
        geoms[(ids == str(edit.feature_id)).to_numpy()] = point
        return current.set_geometry(geoms), (str(edit.feature_id),)
    new_id = next_id(ids, prefix)
    row = {id_column: [new_id], **{k: [v] for k, v in edit.attributes}}
    added = gpd.GeoDataFrame(row, geometry=[point], crs=current.crs)
    out = pd.concat([current, added], ignore_index=True) if len(current) else added
    return gpd.GeoDataFrame(out, geometry=current.geometry.name, crs=current.crs), (new_id,)


def edit_message(edit: Edit, touched: tuple[str, ...]) -> str:
    """The version message of a saved edit (history shows it)."""
    which = edit.feature_id or (touched[0] if touched else "")
    return f"map edit: {edit.action} {edit.layer[:-1]} {which}".strip()
