"""Putting a density raster on a Leaflet map: warp it to Web Mercator and colour it.

Leaflet's ``ImageOverlay`` stretches an image linearly between two corners *in Web Mercator
(EPSG:3857)*. A raster computed in the workspace's metric CRS (UTM, CGCS2000 Gauss-Krüger)
is rotated against Mercator by the grid convergence (up to ~3° at the edge of a UTM zone)
and scaled differently north to south, so laid on the map unwarped it drifts off the
streets by hundreds of metres across a city. :func:`to_web_mercator_image` resamples it on a
grid of Mercator pixels: each pixel centre is transformed back to the metric CRS
(:mod:`pyproj`) and the raster is sampled there bilinearly
(:func:`scipy.ndimage.map_coordinates`), so an incident shows under its street to within a
cell. This is GDAL's ``gdalwarp`` inverse mapping, done in numpy for one small raster.

On a GCJ-02 basemap (高德 Amap: ``shift="gcj02"``) the image is warped into GCJ-02 Mercator
pixels: each pixel's GCJ-02 position goes back to WGS-84 (:func:`gridmap.crs.gcj02_to_wgs84`)
before the metric CRS, so the density lands on Amap's streets as the vector layers do
(:func:`gridmap.maps.shift_to_gcj02`). The inverse shift is evaluated exactly on a lattice
of control points about :data:`SHIFT_NODE_METRES` apart and interpolated bilinearly between
them (GDAL's approximate transformer does the same): the offset changes by well under a
metre between nodes, and the exact inverse for every pixel would take seconds.

With ``mask`` (the chosen area's polygon in the raster's CRS) pixels whose centre lies
outside the polygon are transparent (:func:`shapely.contains_xy`, vectorised): the kernel
smears density past the area's edge, which must not read as incidents there. Densities
inside are untouched.

The colour scale is returned with the image (a :mod:`branca` colormap, the class breaks when
classed) so a legend can be drawn from the same numbers.

Examples
--------
>>> import numpy as np
>>> from gridmap.hotspots.density import kde_raster
>>> raster = kde_raster(np.array([[500_000.0, 2_560_000.0]]), crs="EPSG:32650",
...                     bandwidth=50, cell_size=10)
>>> img = to_web_mercator_image(raster, max_size=256)
>>> img.image.dtype, img.image.shape[2]
(dtype('uint8'), 4)
>>> [[round(v, 4) for v in corner] for corner in img.bounds]
[[23.147, 116.9979], [23.1508, 117.0021]]
"""

from __future__ import annotations

import io
import math
import numbers
from collections.abc import Sequence
from typing import Any, NamedTuple

import branca.colormap as bcm
import matplotlib as mpl
import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from scipy import ndimage

from gridmap import crs as gcrs
from gridmap._errors import ValidationError
from gridmap.hotspots.density import DensityRaster

__all__ = ["HIDE_BELOW_SHARE", "SHIFT_NODE_METRES", "MercatorImage", "to_web_mercator_image"]

#: Densities below this share of `vmax` are transparent by default, so the basemap shows
#: where (almost) nothing happens.
HIDE_BELOW_SHARE = 0.05
#: Spacing of the control points where the GCJ-02 inverse shift is evaluated exactly, metres.
#: The offset's shortest wavelength is 1/3° of longitude (about 28 km), so bilinear
#: interpolation between nodes this far apart errs by a few centimetres.
SHIFT_NODE_METRES = 250.0
_MAX_SHIFT_NODES = 257

_WEB_MERCATOR = pyproj.CRS.from_epsg(3857)
_WGS84 = pyproj.CRS.from_epsg(4326)


class MercatorImage(NamedTuple):
    """A raster warped to Web Mercator, ready for ``folium.raster_layers.ImageOverlay``.

    Attributes
    ----------
    image : numpy.ndarray or bytes
        ``(height, width, 4)`` uint8 RGBA, row 0 north; PNG bytes when asked for.
    bounds : list
        ``[[south, west], [north, east]]`` in degrees, the image's outer edges, as folium
        expects.
    colormap : branca.colormap.ColorMap
        The colour scale used (``LinearColormap``, or ``StepColormap`` when classed), with
        the caption "incidents per km²", to draw a legend.
    breaks : numpy.ndarray or None
        Class upper bounds when classed (the last is `vmax`), else None.
    """

    image: Any
    bounds: list[list[float]]
    colormap: bcm.ColorMap
    breaks: npt.NDArray[np.float64] | None


def to_web_mercator_image(
    raster: DensityRaster,
    *,
    max_size: int = 1024,
    colormap: str = "YlOrRd",
    vmin: float | None = None,
    vmax: float | None = None,
    classes: int | Sequence[float] | None = None,
    hide_below: float | None = None,
    png: bool = False,
    shift: str | None = None,
    mask: Any = None,
) -> MercatorImage:
    """Warp `raster` to EPSG:3857 pixels and colour it for a Leaflet image overlay.

    Parameters
    ----------
    raster : DensityRaster
        From :func:`gridmap.hotspots.density.kde_raster`, in any metric CRS.
    max_size : int, default 1024
        Longest image side, pixels. Pixels are about one raster cell on the ground, fewer
        if the raster is larger than this.
    colormap : str, default "YlOrRd"
        A matplotlib colormap name.
    vmin, vmax : float, optional
        Densities (incidents per km²) mapped to the ends of the colour scale. Default 0 and
        the raster's maximum.
    classes : int or sequence of float, optional
        Classed colours instead of a continuous scale: a number of quantile classes of the
        visible pixels (as ``mapclassify.Quantiles``), or the ascending class upper bounds.
    hide_below : float, optional
        Densities below this are fully transparent. Default :data:`HIDE_BELOW_SHARE` of
        `vmax`; 0 shows everything inside the raster. Outside the raster is transparent.
    png : bool, default False
        Return the image as PNG bytes instead of an array.
    shift : {None, "gcj02"}, optional
        The basemap's coordinate system when it is not WGS-84: ``"gcj02"`` for GCJ-02
        tiles (a map from :func:`gridmap.maps.make_map` says so as ``m.gridmap_shift``).
        The image and its bounds are then in GCJ-02; outside mainland China nothing moves.
    mask : shapely Polygon or MultiPolygon, optional
        The area to show, in the raster's CRS (metres). Pixels whose centre lies outside
        are transparent; densities and colours inside are unchanged.

    Returns
    -------
    MercatorImage
        ``(image, bounds, colormap, breaks)``; see :class:`MercatorImage`.
    """
    if not isinstance(raster, DensityRaster):
        msg = f"`raster` must be a DensityRaster; got {type(raster).__name__}"
        raise ValidationError(msg)
    if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 2:
        msg = f"`max_size` must be an integer of at least 2; got {max_size!r}"
        raise ValidationError(msg)
    try:
        cmap = mpl.colormaps[colormap]
    except KeyError:
        msg = f"`colormap` must be a matplotlib colormap name; got {colormap!r}"
        raise ValidationError(msg) from None
    peak = float(np.nanmax(raster.values)) if raster.values.size else 0.0
    lo = 0.0 if vmin is None else _finite(vmin, "vmin")
    hi = (peak if peak > lo else lo + 1.0) if vmax is None else _finite(vmax, "vmax")
    if hi <= lo:
        msg = f"`vmax` must be greater than `vmin`; got vmin={lo!r}, vmax={hi!r}"
        raise ValidationError(msg)
    hide = HIDE_BELOW_SHARE * hi if hide_below is None else _finite(hide_below, "hide_below")
    if shift not in (None, "gcj02"):
        msg = f"`shift` must be None or 'gcj02'; got {shift!r}"
        raise ValidationError(msg)
    if mask is not None and (
        not isinstance(mask, shapely.Polygon | shapely.MultiPolygon) or mask.is_empty
    ):
        msg = f"`mask` must be a non-empty shapely Polygon or MultiPolygon; got {mask!r}"
        raise ValidationError(msg)

    merc, (west, south, east, north) = _warp(raster, max_size, shift=shift, mask=mask)

    visible = np.isfinite(merc) & (merc >= hide)
    rgba = np.zeros((*merc.shape, 4), dtype=np.uint8)
    breaks: npt.NDArray[np.float64] | None = None
    if classes is None:
        scaled = np.clip((merc[visible] - lo) / (hi - lo), 0.0, 1.0)
        rgba[visible] = cmap(scaled, bytes=True)
        stops = np.linspace(0, 1, 11)
        scale: bcm.ColorMap = bcm.LinearColormap(
            [mpl.colors.to_hex(c) for c in cmap(stops)], vmin=lo, vmax=hi
        )
    else:
        breaks = _breaks(classes, merc[visible], lo, hi)
        k = len(breaks)
        which = np.minimum(np.searchsorted(breaks, merc[visible], side="left"), k - 1)
        colours = cmap((np.arange(k) + 0.5) / k)
        rgba[visible] = (colours[which] * 255).round().astype(np.uint8)
        scale = bcm.StepColormap(
            [mpl.colors.to_hex(c) for c in colours],
            index=[lo, *breaks.tolist()],
            vmin=lo,
            vmax=float(breaks[-1]),
        )
    scale.caption = "incidents per km²"

    to_lonlat = pyproj.Transformer.from_crs(_WEB_MERCATOR, _WGS84, always_xy=True)
    w_lon, s_lat = to_lonlat.transform(west, south)
    e_lon, n_lat = to_lonlat.transform(east, north)
    bounds = [[float(s_lat), float(w_lon)], [float(n_lat), float(e_lon)]]
    image: Any = rgba
    if png:
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(rgba, mode="RGBA").save(buf, format="PNG", optimize=False)
        image = buf.getvalue()
    return MercatorImage(image, bounds, scale, breaks)


def _warp(
    raster: DensityRaster, max_size: int, *, shift: str | None = None, mask: Any = None
) -> tuple[npt.NDArray[np.float64], tuple[float, float, float, float]]:
    """The raster resampled on Mercator pixel centres (NaN outside it or outside `mask`),
    and their bounds."""
    to_merc = pyproj.Transformer.from_crs(raster.crs, _WEB_MERCATOR, always_xy=True)
    from_merc = pyproj.Transformer.from_crs(_WEB_MERCATOR, raster.crs, always_xy=True)
    minx, miny, maxx, maxy = raster.bounds
    if shift == "gcj02":
        west, south, east, north = _shifted_bounds(raster)
    else:
        west, south, east, north = to_merc.transform_bounds(minx, miny, maxx, maxy, densify_pts=21)
    # Mercator units per ground metre here: pixels of about one raster cell
    stretch = max((east - west) / (maxx - minx), (north - south) / (maxy - miny))
    pixel = raster.cell_size * stretch
    pixel = max(pixel, (east - west) / max_size, (north - south) / max_size)
    width = max(1, min(max_size, math.ceil((east - west) / pixel - 1e-9)))
    height = max(1, min(max_size, math.ceil((north - south) / pixel - 1e-9)))
    px = (east - west) / width
    py = (north - south) / height
    mx = west + (np.arange(width) + 0.5) * px
    my = north - (np.arange(height) + 0.5) * py
    gx, gy = np.meshgrid(mx, my)
    if shift == "gcj02":
        x, y = _from_gcj02_mercator(gx.ravel(), gy.ravel(), raster.crs, stretch)
    else:
        x, y = from_merc.transform(gx.ravel(), gy.ravel())
    col = (np.asarray(x) - minx) / raster.cell_size - 0.5
    row = (maxy - np.asarray(y)) / raster.cell_size - 0.5
    rows, cols = raster.shape
    # outside the raster's outer edges: NaN (transparent); inside, clamp to edge centres
    outside = (col < -0.5) | (col > cols - 0.5) | (row < -0.5) | (row > rows - 0.5)
    sampled = ndimage.map_coordinates(
        raster.values,
        [np.clip(row, 0, rows - 1), np.clip(col, 0, cols - 1)],
        order=1,
        mode="nearest",
    )
    sampled[outside] = np.nan
    if mask is not None:
        shapely.prepare(mask)
        sampled[~shapely.contains_xy(mask, np.asarray(x), np.asarray(y))] = np.nan
    return sampled.reshape(height, width), (west, south, east, north)


def _shifted_bounds(raster: DensityRaster) -> tuple[float, float, float, float]:
    """West, south, east, north in Mercator of the raster's outline shifted to GCJ-02."""
    minx, miny, maxx, maxy = raster.bounds
    edge = np.linspace(0.0, 1.0, 21)
    xs = np.concatenate([minx + edge * (maxx - minx), np.full(21, maxx)])
    ys = np.concatenate([np.full(21, miny), miny + edge * (maxy - miny)])
    xs = np.concatenate([xs, maxx - edge * (maxx - minx), np.full(21, minx)])
    ys = np.concatenate([ys, np.full(21, maxy), maxy - edge * (maxy - miny)])
    lon, lat = pyproj.Transformer.from_crs(raster.crs, _WGS84, always_xy=True).transform(xs, ys)
    lon, lat = gcrs.wgs84_to_gcj02(lon, lat)
    mx, my = pyproj.Transformer.from_crs(_WGS84, _WEB_MERCATOR, always_xy=True).transform(lon, lat)
    return float(np.min(mx)), float(np.min(my)), float(np.max(mx)), float(np.max(my))


def _from_gcj02_mercator(
    mx: npt.NDArray[np.float64], my: npt.NDArray[np.float64], crs: pyproj.CRS, stretch: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """GCJ-02 Mercator points to `crs`: the inverse shift interpolated between nodes."""
    lon, lat = pyproj.Transformer.from_crs(_WEB_MERCATOR, _WGS84, always_xy=True).transform(mx, my)
    lon, lat = np.asarray(lon), np.asarray(lat)
    # nodes about SHIFT_NODE_METRES apart (`stretch`: Mercator units per metre)
    spans = (float(np.ptp(mx)), float(np.ptp(my)))
    counts = [
        int(min(_MAX_SHIFT_NODES, max(2, math.ceil(s / (SHIFT_NODE_METRES * stretch)) + 1)))
        for s in spans
    ]
    node_lon = np.linspace(lon.min(), lon.max(), counts[0])
    node_lat = np.linspace(lat.min(), lat.max(), counts[1])
    glon, glat = np.meshgrid(node_lon, node_lat)
    wlon, wlat = gcrs.gcj02_to_wgs84(glon.ravel(), glat.ravel())
    dlon = (wlon - glon.ravel()).reshape(glon.shape)
    dlat = (wlat - glat.ravel()).reshape(glat.shape)
    fi = (lat - node_lat[0]) / ((node_lat[-1] - node_lat[0]) or 1.0) * (counts[1] - 1)
    fj = (lon - node_lon[0]) / ((node_lon[-1] - node_lon[0]) or 1.0) * (counts[0] - 1)
    where = [fi, fj]
    lon = lon + ndimage.map_coordinates(dlon, where, order=1, mode="nearest")
    lat = lat + ndimage.map_coordinates(dlat, where, order=1, mode="nearest")
    x, y = pyproj.Transformer.from_crs(_WGS84, crs, always_xy=True).transform(lon, lat)
    return np.asarray(x), np.asarray(y)


def _breaks(
    classes: Any, visible: npt.NDArray[np.float64], lo: float, hi: float
) -> npt.NDArray[np.float64]:
    if isinstance(classes, bool):
        msg = f"`classes` must be a number of classes or a sequence of breaks; got {classes!r}"
        raise ValidationError(msg)
    if isinstance(classes, int):
        if classes < 2:
            msg = f"`classes` must be at least 2; got {classes}"
            raise ValidationError(msg)
        vals = visible[visible > lo] if visible.size else np.array([hi])
        qs = np.quantile(vals, np.arange(1, classes) / classes) if vals.size else []
        breaks = np.unique(np.append(np.asarray(qs, dtype=float), hi))
        return breaks[breaks > lo] if (breaks > lo).any() else np.array([hi])
    try:
        breaks = np.asarray(classes, dtype=float).ravel()
    except (TypeError, ValueError):
        msg = f"`classes` must be a number of classes or a sequence of breaks; got {classes!r}"
        raise ValidationError(msg) from None
    if breaks.size == 0 or not np.isfinite(breaks).all() or (np.diff(breaks) <= 0).any():
        msg = f"`classes` breaks must be finite and strictly ascending; got {classes!r}"
        raise ValidationError(msg)
    if breaks[0] <= lo:
        msg = f"`classes` breaks must lie above `vmin` ({lo:g}); got {classes!r}"
        raise ValidationError(msg)
    return breaks


def _finite(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        msg = f"`{name}` must be a finite number; got {value!r}"
        raise ValidationError(msg)
    return float(value)
