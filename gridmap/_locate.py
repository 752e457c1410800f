"""Which polygon contains each point: :class:`PolygonLocator` and its helpers.

Private: import these names from :mod:`gridmap.stats`, which re-exports them. Most points
are looked up in a raster laid over the polygons once; only the few in cells a polygon edge
crosses are tested exactly. Everything works in the coordinates given.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from geopandas.array import GeometryArray

from gridmap._errors import ValidationError

# Raster cells along the longer side of the grids' extent, when not given: about 128 cells
# per grid across (grids are roughly square), so that only a few per cent of the points fall in
# a cell crossed by a grid edge; bounded so the raster stays below ~17 MB (2048² int32).
_MIN_RESOLUTION = 256
_MAX_RESOLUTION = 2048
_CELLS_PER_GRID = 128

# Safety margin, in cell widths, added around every boundary piece when marking the cells it
# crosses: far above floating-point error, far below a cell.
_EPS_CELLS = 1e-6

_POINT = 0
_POLYGON = 3
_MULTIPOLYGON = 6

# Raster values: >= 0 polygon index, -1 outside every polygon, <= -2 "crossed by an edge,
# test exactly", encoding the cell's row in the candidate table as -2 - row.
_OUTSIDE = -1


class PolygonLocator:
    """Find which polygon contains each point, for millions of points at a time.

    A uniform raster is laid over the polygons' bounds. Every cell that no polygon edge crosses
    lies wholly inside one polygon (or outside all of them) and is labelled once, when the
    locator is built; a point in such a cell takes the label by an array lookup. Points in the
    few cells an edge crosses are tested exactly against the polygons that touch that cell.
    Build the locator once per version of the grids and reuse it (the app caches it).

    Parameters
    ----------
    polygons : GeoSeries, GeoDataFrame or sequence of shapely geometries
        Polygons and MultiPolygons, possibly with holes; ``None`` and empty geometries are
        allowed and contain nothing. They are meant to be a partition with possible gaps (the
        grids). If they overlap, a point inside several takes the *lowest* position.
    resolution : int, optional
        Raster cells along the longer side of the polygons' total bounds. Higher means fewer
        points to test exactly but a larger raster to build and hold. By default about 128
        cells per polygon across, between 256 and 2048.

    Attributes
    ----------
    crs : pyproj.CRS or None
        CRS of `polygons` when given as a GeoSeries or GeoDataFrame.
    resolution : int
        Cells along the longer side (0 when there is no polygon).
    shape : tuple of int
        Rows and columns of the raster.

    Notes
    -----
    A point is located in polygon ``i`` when it *intersects* polygon ``i`` (interior or
    boundary) and intersects no polygon of lower position. So a point exactly on an edge shared
    by two grids is counted once, in the grid listed first; a point on an outer edge belongs to
    its grid. :func:`geopandas.sjoin` with ``predicate="within"`` drops such points instead;
    everywhere else the two agree.

    Examples
    --------
    >>> from shapely import box
    >>> locator = PolygonLocator([box(0, 0, 1, 1), box(1, 0, 2, 1)])
    >>> locator.locate_xy([0.5, 1.5, 3.0, 1.0], [0.5, 0.5, 0.5, 0.5]).tolist()
    [0, 1, -1, 0]
    """

    def __init__(self, polygons: Any, *, resolution: int | None = None) -> None:
        geoms, crs = _geometry_array(polygons, "polygons", {_POLYGON, _MULTIPOLYGON})
        self.crs = crs
        self._geoms = geoms
        present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        self._present = np.flatnonzero(present)
        if resolution is not None and (
            isinstance(resolution, bool)
            or not isinstance(resolution, numbers.Integral)
            or resolution < 1
        ):
            msg = f"`resolution` must be a positive integer; got {resolution!r}"
            raise ValidationError(msg)
        if self._present.size == 0:
            self.resolution = 0
            self.shape = (0, 0)
            return
        if resolution is None:
            across = _CELLS_PER_GRID * math.sqrt(self._present.size)
            resolution = int(min(max(across, _MIN_RESOLUTION), _MAX_RESOLUTION))
        self.resolution = int(resolution)
        self._build()

    def __len__(self) -> int:
        """Number of polygons (including empty ones), i.e. the range of the labels."""
        return len(self._geoms)

    def __repr__(self) -> str:
        return (
            f"PolygonLocator({len(self)} polygons, raster {self.shape[1]}×{self.shape[0]}, "
            f"{self.edge_cell_fraction:.1%} edge cells)"
        )

    @property
    def edge_cell_fraction(self) -> float:
        """Share of raster cells crossed by a polygon edge (points there are tested exactly)."""
        if self._present.size == 0:
            return 0.0
        return (len(self._candidate_start) - 1) / (self.shape[0] * self.shape[1])

    def _build(self) -> None:
        geoms = self._geoms
        present = self._present
        shapely.prepare(geoms[present])
        self._bounds = shapely.bounds(geoms)
        xmin, ymin, xmax, ymax = shapely.total_bounds(geoms[present])
        width, height = xmax - xmin, ymax - ymin
        size = max(width, height) / self.resolution
        # Cells no smaller than 1e-7 of the coordinates' magnitude keep rounding errors in
        # cell units below ~1e-9, well inside the safety margin (matters only for tiny areas
        # far from the origin). Zero-area polygons: one cell, every point tested exactly.
        magnitude = max(abs(xmin), abs(ymin), abs(xmax), abs(ymax))
        size = max(size, 1e-7 * magnitude)
        if not size > 0:
            size = 1.0
        self._scale = 1.0 / size
        # A cell more than needed, so that the maximum bounds fall inside the raster whatever
        # the rounding in _cell_axis.
        nx = int(width * self._scale) + 2
        ny = int(height * self._scale) + 2
        self._origin = (float(xmin), float(ymin))
        self._size = float(size)
        self.shape = (ny, nx)

        ring_cells, ring_owner = self._ring_cells(ny, nx)
        crossed = np.zeros(ny * nx, dtype=bool)
        crossed[ring_cells] = True
        crossed2d = crossed.reshape(ny, nx)

        # Cells no edge crosses: each row splits into runs of such cells; a run lies in one
        # face of the polygons' arrangement, so the centre of its first cell labels all of it.
        free2d = ~crossed2d
        starts2d = free2d.copy()
        starts2d[:, 1:] &= ~free2d[:, :-1]
        run_of_cell = np.cumsum(starts2d.ravel(), dtype=np.intp) - 1
        run_label = np.full(int(run_of_cell[-1]) + 1, _OUTSIDE, dtype=np.int32)

        # Cells an edge crosses get a list of candidate polygons: those whose rings cross the
        # cell, and (only where polygons overlap) those containing the cell whole.
        edge_cells = np.flatnonzero(crossed)
        pair_cell: list[npt.NDArray[np.intp]] = []
        pair_poly: list[npt.NDArray[np.intp]] = []
        ring_start = np.searchsorted(ring_owner, present)
        ring_end = np.searchsorted(ring_owner, present, side="right")
        for poly, rs, re in zip(present, ring_start, ring_end, strict=True):  # ascending
            geom = geoms[poly]
            j0, i0, j1, i1 = self._cell_window(self._bounds[poly], ny, nx)
            # free runs starting in the polygon's bounds
            jj, ii = np.nonzero(starts2d[j0:j1, i0:i1])
            cells = (jj + j0) * nx + (ii + i0)
            runs = run_of_cell[cells]
            todo = run_label[runs] == _OUTSIDE
            runs, cells = runs[todo], cells[todo]
            inside = shapely.intersects_xy(geom, *self._centres(cells, nx))
            run_label[runs[inside]] = poly
            # edge cells in the polygon's bounds
            mine = ring_cells[rs:re]
            jj, ii = np.nonzero(crossed2d[j0:j1, i0:i1])
            cells = (jj + j0) * nx + (ii + i0)
            pos = np.minimum(np.searchsorted(mine, cells), max(mine.size - 1, 0))
            others = cells if mine.size == 0 else cells[mine[pos] != cells]
            whole = others[shapely.intersects_xy(geom, *self._centres(others, nx))]
            pair_cell += [mine, whole]
            pair_poly.append(np.full(mine.size + whole.size, poly, dtype=np.intp))

        raster = np.full(ny * nx, _OUTSIDE, dtype=np.int32)
        free = ~crossed
        raster[free] = run_label[run_of_cell[free]]
        raster[edge_cells] = -2 - np.arange(edge_cells.size, dtype=np.int32)
        cell_i = np.searchsorted(edge_cells, np.concatenate(pair_cell))
        poly_i = np.concatenate(pair_poly)
        order = np.lexsort((poly_i, cell_i))
        self._candidates = poly_i[order]
        self._candidate_start = np.searchsorted(cell_i[order], np.arange(edge_cells.size + 1))
        # A border of "outside" cells lets points beyond the bounds be looked up unchecked.
        self._raster = np.pad(raster.reshape(ny, nx), 1, constant_values=_OUTSIDE).ravel()

    def _cell_window(self, bounds: npt.NDArray[np.float64], ny: int, nx: int) -> tuple[int, ...]:
        """Row and column slice limits of the cells a bounding box may touch."""
        x0, y0, x1, y1 = bounds
        i0 = math.floor((x0 - self._origin[0]) * self._scale - _EPS_CELLS)
        i1 = math.floor((x1 - self._origin[0]) * self._scale + _EPS_CELLS) + 1
        j0 = math.floor((y0 - self._origin[1]) * self._scale - _EPS_CELLS)
        j1 = math.floor((y1 - self._origin[1]) * self._scale + _EPS_CELLS) + 1
        return max(j0, 0), max(i0, 0), min(j1, ny), min(i1, nx)

    def _centres(
        self, cells: npt.NDArray[np.intp], nx: int
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        return (
            self._origin[0] + (cells % nx + 0.5) * self._size,
            self._origin[1] + (cells // nx + 0.5) * self._size,
        )

    def _ring_cells(self, ny: int, nx: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """Cells each polygon's rings may cross (a superset, never missing one).

        Returns the cells and their polygons' positions, sorted by polygon then cell, unique.
        """
        present = self._present
        parts, part_owner = shapely.get_parts(self._geoms[present], return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        coords, ring = shapely.get_coordinates(rings, return_index=True)
        if len(coords) < 2:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
        u = (coords[:, 0] - self._origin[0]) * self._scale
        v = (coords[:, 1] - self._origin[1]) * self._scale
        same = ring[:-1] == ring[1:]
        owner = present[part_owner[ring_part[ring[:-1][same]]]]
        u0, u1, v0, v1 = u[:-1][same], u[1:][same], v[:-1][same], v[1:][same]
        # Cut each segment into pieces at most one cell long in u and v, so that each piece's
        # bounding box spans at most 2 cells (3 with the safety margin) each way.
        du, dv = u1 - u0, v1 - v0
        n_pieces = np.maximum(1, np.ceil(np.maximum(np.abs(du), np.abs(dv)))).astype(np.intp)
        seg = np.repeat(np.arange(n_pieces.size), n_pieces)
        k = np.arange(seg.size) - np.repeat(np.cumsum(n_pieces) - n_pieces, n_pieces)
        t0 = k / n_pieces[seg]
        t1 = (k + 1) / n_pieces[seg]
        pu0, pu1 = u0[seg] + t0 * du[seg], u0[seg] + t1 * du[seg]
        pv0, pv1 = v0[seg] + t0 * dv[seg], v0[seg] + t1 * dv[seg]
        i0 = np.clip(np.floor(np.minimum(pu0, pu1) - _EPS_CELLS), 0, nx - 1).astype(np.intp)
        i1 = np.clip(np.floor(np.maximum(pu0, pu1) + _EPS_CELLS), 0, nx - 1).astype(np.intp)
        j0 = np.clip(np.floor(np.minimum(pv0, pv1) - _EPS_CELLS), 0, ny - 1).astype(np.intp)
        j1 = np.clip(np.floor(np.maximum(pv0, pv1) + _EPS_CELLS), 0, ny - 1).astype(np.intp)
        piece_owner = owner[seg]
        keys = []
        for di in range(3):
            for dj in range(3):
                sel = (i0 + di <= i1) & (j0 + dj <= j1)
                cell = (j0[sel] + dj) * nx + (i0[sel] + di)
                keys.append(piece_owner[sel] * (ny * nx) + cell)
        key = np.unique(np.concatenate(keys))
        return key % (ny * nx), key // (ny * nx)

    def _resolve(
        self,
        x: npt.NDArray[np.float64],
        y: npt.NDArray[np.float64],
        point_i: npt.NDArray[np.intp],
        poly_i: npt.NDArray[np.intp],
    ) -> npt.NDArray[np.intp]:
        """Exact test of candidate (point, polygon) pairs; lowest intersecting polygon wins."""
        out = np.full(len(x), _OUTSIDE, dtype=np.intp)
        if point_i.size == 0:
            return out
        order = np.argsort(poly_i, kind="stable")
        point_i, poly_i = point_i[order], poly_i[order]
        polys, starts = np.unique(poly_i, return_index=True)
        ends = np.append(starts[1:], poly_i.size)
        for poly, start, end in zip(polys, starts, ends, strict=True):  # ascending position
            pts = point_i[start:end]
            pts = pts[out[pts] == _OUTSIDE]
            hit = shapely.intersects_xy(self._geoms[poly], x[pts], y[pts])
            out[pts[hit]] = poly
        return out

    def locate_xy(self, x: npt.ArrayLike, y: npt.ArrayLike) -> npt.NDArray[np.intp]:
        """Return the position of the polygon containing each point ``(x, y)``, or -1.

        Parameters
        ----------
        x, y : array-like of float
            Coordinates in the polygons' CRS, same length. NaN coordinates give -1.

        Returns
        -------
        numpy.ndarray of int
            One polygon position per point; -1 for points outside every polygon.
        """
        xs, ys = _coordinates(x, y)
        if self._present.size == 0 or xs.size == 0:
            return np.full(xs.shape, _OUTSIDE, dtype=np.intp)
        ny, nx = self.shape
        # Column and row in the bordered raster: 0 and n + 1 are the border (NaN goes to 0).
        col = self._cell_axis(xs, self._origin[0], nx)
        row = self._cell_axis(ys, self._origin[1], ny)
        row *= nx + 2
        row += col
        out = self._raster[row].astype(np.intp)
        edge = np.flatnonzero(out <= -2)
        if edge.size:
            cell = -2 - out[edge]
            first = self._candidate_start[cell]
            counts = self._candidate_start[cell + 1] - first
            point_i = np.repeat(np.arange(edge.size), counts)
            within = np.arange(point_i.size) - np.repeat(np.cumsum(counts) - counts, counts)
            poly_i = self._candidates[np.repeat(first, counts) + within]
            out[edge] = self._resolve(xs[edge], ys[edge], point_i, poly_i)
        return out

    def _cell_axis(
        self, values: npt.NDArray[np.float64], origin: float, n: int
    ) -> npt.NDArray[np.intp]:
        u = values - origin
        u *= self._scale
        u += 1.0
        np.fmax(u, 0.0, out=u)
        np.fmin(u, n + 1.0, out=u)
        return u.astype(np.intp)

    def locate(self, points: Any) -> npt.NDArray[np.intp]:
        """Return the position of the polygon containing each point, or -1.

        Parameters
        ----------
        points : GeoSeries, GeoDataFrame or sequence of shapely Points
            ``None`` and empty points give -1. If both `points` and the polygons carry a CRS,
            they must be the same.

        Returns
        -------
        numpy.ndarray of int
            One polygon position per point; -1 for points outside every polygon.
        """
        geoms, crs = _geometry_array(points, "points", {_POINT})
        _check_same_crs(crs, self.crs)
        x, y = _point_xy(geoms, "points")
        return self.locate_xy(x, y)


def locate_points(
    points: Any, polygons: Any, *, resolution: int | None = None
) -> npt.NDArray[np.intp]:
    """Return, for each point, the position of the polygon containing it, or -1.

    A one-off :class:`PolygonLocator`; build the locator yourself to reuse it across calls.
    Many times faster than :func:`geopandas.sjoin` for large numbers of points, and equal to
    it (``predicate="within"``) for every point not on a polygon edge.

    Parameters
    ----------
    points : GeoSeries, GeoDataFrame or sequence of shapely Points
        ``None`` and empty points give -1.
    polygons : GeoSeries, GeoDataFrame or sequence of shapely Polygons/MultiPolygons
        Meant not to overlap; where they do, the lowest position wins. A point on an edge
        goes to the lowest-positioned polygon it touches.
    resolution : int, optional
        Raster cells along the longer side, see :class:`PolygonLocator`.

    Returns
    -------
    numpy.ndarray of int
        Positional index into `polygons` (not the index labels); -1 outside every polygon.

    Examples
    --------
    >>> from shapely import Point, box
    >>> grids = [box(0, 0, 2, 2).difference(box(0.5, 0.5, 1, 1)), box(2, 0, 4, 2)]
    >>> locate_points([Point(0.7, 0.7), Point(1, 1.5), Point(3, 1), None], grids).tolist()
    [-1, 0, 1, -1]
    """
    return PolygonLocator(polygons, resolution=resolution).locate(points)


def locate_xy(
    x: npt.ArrayLike, y: npt.ArrayLike, polygons: Any, *, resolution: int | None = None
) -> npt.NDArray[np.intp]:
    """Like :func:`locate_points`, for points given as coordinate arrays `x` and `y`.

    Parameters
    ----------
    x, y : array-like of float
        Point coordinates in the CRS of `polygons`, same length; NaN gives -1.
    polygons : GeoSeries, GeoDataFrame or sequence of shapely Polygons/MultiPolygons
        As for :func:`locate_points`.
    resolution : int, optional
        Raster cells along the longer side, see :class:`PolygonLocator`.

    Returns
    -------
    numpy.ndarray of int
        Positional index into `polygons`; -1 outside every polygon.

    Examples
    --------
    >>> from shapely import box
    >>> locate_xy([0.5, 5.0], [0.5, 0.5], [box(0, 0, 1, 1)]).tolist()
    [0, -1]
    """
    return PolygonLocator(polygons, resolution=resolution).locate_xy(x, y)


# --- private helpers -----------------------------------------------------------------------


def _geometry_array(values: Any, name: str, allowed: set[int]) -> tuple[np.ndarray, Any]:
    """Return `values` as a 1-D object array of geometries (and its CRS), checking types."""
    crs = None
    if isinstance(values, gpd.GeoDataFrame):
        values = values.geometry
    if isinstance(values, gpd.GeoSeries):
        crs = values.crs
        geoms = values.to_numpy()
    elif isinstance(values, shapely.Geometry):
        msg = f"`{name}` must be a sequence of geometries, not a single {values.geom_type}"
        raise ValidationError(msg)
    elif isinstance(values, (np.ndarray, Sequence, pd.Series, GeometryArray)):
        geoms = np.asarray(values, dtype=object)
        if geoms.ndim == 1 and geoms.size:
            known = shapely.is_geometry(geoms) | shapely.is_missing(geoms)
            if not known.all():
                bad = geoms[~known][0]
                msg = f"`{name}` must hold shapely geometries; found {type(bad).__name__}"
                raise ValidationError(msg)
    else:
        msg = f"`{name}` must be a GeoSeries or a sequence of geometries; got {type(values)}"
        raise ValidationError(msg)
    if geoms.ndim != 1:
        msg = f"`{name}` must be one-dimensional; got shape {geoms.shape}"
        raise ValidationError(msg)
    if geoms.size == 0:
        return geoms, crs
    if allowed != {_POINT}:  # points are checked by _point_xy, on the way
        _check_types(geoms, name, allowed)
    return geoms, crs


def _check_types(geoms: np.ndarray, name: str, allowed: set[int]) -> None:
    types = shapely.get_type_id(geoms)  # -1 for None
    wrong = ~np.isin(types, [-1, *allowed])
    if wrong.any():
        _, first = np.unique(types[wrong], return_index=True)
        kinds = sorted(geoms[wrong][first_i].geom_type for first_i in first)
        expected = "Point" if allowed == {_POINT} else "Polygon or MultiPolygon"
        msg = f"`{name}` must hold {expected} geometries; found {', '.join(kinds)}"
        raise ValidationError(msg)


def _point_xy(
    geoms: np.ndarray, name: str = "points"
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Coordinates of point geometries; NaN for missing and empty points.

    Raises ValidationError for any other kind of geometry.
    """
    try:  # fast path: shapely gives NaN for None and non-points, but refuses empty points
        x, y = shapely.get_x(geoms), shapely.get_y(geoms)
    except shapely.errors.GEOSException:
        _check_types(geoms, name, {_POINT})
        x = np.full(geoms.shape, np.nan)
        y = np.full(geoms.shape, np.nan)
        ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        x[ok] = shapely.get_x(geoms[ok])
        y[ok] = shapely.get_y(geoms[ok])
        return x, y
    unknown = np.isnan(x)
    if unknown.any():
        _check_types(geoms[unknown], name, {_POINT})
    return x, y


def _coordinates(
    x: npt.ArrayLike, y: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    try:
        xs = np.asarray(x, dtype=np.float64)
        ys = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        msg = "`x` and `y` must be arrays of numbers"
        raise ValidationError(msg) from None
    if xs.ndim != 1 or xs.shape != ys.shape:
        msg = f"`x` and `y` must be 1-D and of equal length; got shapes {xs.shape}, {ys.shape}"
        raise ValidationError(msg)
    return xs, ys


def _check_same_crs(
    points_crs: Any, polygons_crs: Any, names: tuple[str, str] = ("points", "polygons")
) -> None:
    if points_crs is not None and polygons_crs is not None and points_crs != polygons_crs:
        msg = (
            f"`{names[0]}` and `{names[1]}` must share a CRS; got {points_crs.to_string()} "
            f"and {polygons_crs.to_string()}"
        )
        raise ValidationError(msg)
