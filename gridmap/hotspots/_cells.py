"""Square and hexagonal cell lattices shared by the hot-spot modules (private).

The street office's hot spots are counted on regular cells laid over the incidents in the
workspace's *metric* CRS (metres): :class:`Lattice` locates points in cells by arithmetic
(no spatial join), builds the cells' polygons vectorised, and builds binary neighbour
matrices (distance band or contiguity, the focal cell included) as :mod:`scipy.sparse`
matrices by shifting whole index arrays, so 100,000 cells take milliseconds.

Hexagons are "pointy-top" in "odd-r" offset layout (odd rows shifted half a cell east), the
layout and the axial/cube rounding used to locate points follow Red Blob Games,
"Hexagonal Grids" (Patel 2013, https://www.redblobgames.com/grids/hexagons/). A hexagon of
``size`` has the *area* of a square of side ``size``, so both shapes of the same size
compare count for count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely

from gridmap._errors import ValidationError
from gridmap._validate import check_metric_crs as check_metric_crs
from gridmap._validate import check_positive as check_positive

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
CellShape = Literal["square", "hexagon"]

_SQRT3 = math.sqrt(3.0)

# Candidate cell sizes (m) tried by :func:`suggest_cell_size`: round numbers a street office
# can say aloud ("100-metre cells").
NICE_SIZES = (25, 50, 75, 100, 125, 150, 200, 250, 300, 400, 500, 750, 1000, 1500, 2000,
              2500, 3000, 4000, 5000, 7500, 10000)  # fmt: skip

# Getis & Ord's z is a large-sample approximation; Esri's Hot Spot Analysis asks for at least
# 30 features (Esri, "How Hot Spot Analysis (Getis-Ord Gi*) works").
MIN_CELLS = 30

# Largest lattice we build (cells); ~8 MB per float column.
MAX_CELLS = 4_000_000


# --- checking arguments -------------------------------------------------------------------


def projected_xy(
    points: Any, crs: pyproj.CRS, name: str = "points", *, return_index: bool = False
) -> Any:
    """The (n, 2) x/y of `points` in `crs`; missing, empty and non-finite points dropped.

    `points` is a GeoSeries/GeoDataFrame of points (any CRS; projected to `crs`) or an
    (n, 2) array of x, y already in `crs`. With `return_index`, also the positions (in
    `points`) of the rows kept.
    """
    if isinstance(points, gpd.GeoDataFrame | gpd.GeoSeries):
        geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
        if geoms.crs is None:
            msg = f"`{name}` has no CRS; set one (e.g. EPSG:4326) before the analysis"
            raise ValidationError(msg)
        arr = np.asarray(geoms.array, dtype=object)
        kinds = shapely.get_type_id(arr)  # -1 for missing
        if ((kinds != 0) & (kinds != -1)).any():
            msg = f"`{name}` must hold points; found other geometry types"
            raise ValidationError(msg)
        # missing and empty points have no coordinates
        xy, index = shapely.get_coordinates(arr, return_index=True)
        if pyproj.CRS.from_user_input(geoms.crs) != crs:
            tr = pyproj.Transformer.from_crs(geoms.crs, crs, always_xy=True)
            x, y = tr.transform(xy[:, 0], xy[:, 1])
            xy = np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
    else:
        try:
            xy = np.asarray(points, dtype=float)
        except (TypeError, ValueError):
            msg = f"`{name}` must be a GeoSeries/GeoDataFrame of points or an (n, 2) array"
            raise ValidationError(msg) from None
        if xy.ndim != 2 or xy.shape[1] != 2:
            msg = f"`{name}` as an array must have shape (n, 2); got {xy.shape}"
            raise ValidationError(msg)
        index = None
    if not np.isfinite(xy).all():
        finite = np.isfinite(xy).all(axis=1)
        xy = np.ascontiguousarray(xy[finite])
        index = np.flatnonzero(finite) if index is None else index[finite]
    if not return_index:
        return xy
    return xy, np.arange(len(xy)) if index is None else index


def project_geometry(geoms: Any, crs: pyproj.CRS, name: str) -> shapely.Geometry:
    """The union of `geoms` (GeoSeries/GeoDataFrame/geometry) in `crs`, for a study area."""
    if isinstance(geoms, gpd.GeoDataFrame | gpd.GeoSeries):
        if geoms.crs is None:
            msg = f"`{name}` has no CRS"
            raise ValidationError(msg)
        return shapely.union_all(np.asarray(geoms.to_crs(crs).geometry.array, dtype=object))
    if isinstance(geoms, shapely.Geometry):
        return geoms
    msg = f"`{name}` must be a GeoSeries, GeoDataFrame or shapely geometry in `crs`"
    raise ValidationError(msg)


# --- the lattice --------------------------------------------------------------------------


@dataclass(frozen=True)
class Lattice:
    """A rectangle of square or hexagonal cells in a metric CRS.

    Cell ``(row, col)`` has flat index ``row * ncols + col``; rows run south to north, cols
    west to east. Squares: centre ``(x0 + (col + 0.5) * size, y0 + (row + 0.5) * size)``.
    Hexagons (pointy-top, odd-r): side ``s = sqrt(2 / (3 sqrt 3)) * size`` (area ``size²``),
    centre ``(x0 + w * (col + 0.5 + 0.5 * (row % 2)), y0 + s + 1.5 * s * row)`` with
    ``w = sqrt(3) * s``.
    """

    shape: CellShape
    size: float
    x0: float
    y0: float
    nrows: int
    ncols: int

    # -- geometry of one cell
    @property
    def side(self) -> float:
        """Side of a hexagon (m); the size for squares."""
        if self.shape == "square":
            return self.size
        return self.size * math.sqrt(2.0 / (3.0 * _SQRT3))

    @property
    def width(self) -> float:
        """East-west centre spacing (m)."""
        return self.size if self.shape == "square" else _SQRT3 * self.side

    @property
    def row_height(self) -> float:
        """North-south centre spacing (m)."""
        return self.size if self.shape == "square" else 1.5 * self.side

    @property
    def cell_area(self) -> float:
        """Area of one cell (m²)."""
        return self.size * self.size

    @property
    def n_cells(self) -> int:
        return self.nrows * self.ncols

    @property
    def contiguity_distance(self) -> float:
        """Centre distance of the farthest queen-contiguous neighbour (m)."""
        return self.size * math.sqrt(2.0) if self.shape == "square" else self.width

    # -- construction
    @classmethod
    def covering(
        cls, bounds: tuple[float, float, float, float], size: float, shape: CellShape
    ) -> Lattice:
        """The smallest lattice of `shape` cells of `size` covering `bounds`, centred on it."""
        minx, miny, maxx, maxy = bounds
        width, height = maxx - minx, maxy - miny
        if shape == "square":
            ncols = math.floor(width / size) + 1
            nrows = math.floor(height / size) + 1
            x0 = (minx + maxx) / 2 - ncols * size / 2
            y0 = (miny + maxy) / 2 - nrows * size / 2
        else:
            probe = cls("hexagon", size, 0.0, 0.0, 1, 1)
            w, h, s = probe.width, probe.row_height, probe.side
            ncols = math.ceil(width / w) + 1
            nrows = math.ceil(height / h) + 1
            # centre of (0, 0) half a cell west of minx and exactly at miny
            x0 = minx - w
            y0 = miny - s
        if nrows * ncols > MAX_CELLS:
            msg = (
                f"`cell_size` {size:g} m gives {nrows * ncols:,} cells over the data's extent "
                f"(at most {MAX_CELLS:,}); choose a larger cell size"
            )
            raise ValidationError(msg)
        return cls(shape, float(size), float(x0), float(y0), nrows, ncols)

    # -- points to cells
    def locate(self, xy: FloatArray) -> IntArray:
        """Flat cell index of each (x, y); -1 outside the lattice."""
        x, y = xy[:, 0], xy[:, 1]
        if self.shape == "square":
            col = np.floor((x - self.x0) / self.size).astype(np.intp)
            row = np.floor((y - self.y0) / self.size).astype(np.intp)
        else:
            s = self.side
            px = x - (self.x0 + self.width / 2)
            py = y - (self.y0 + s)
            q = (_SQRT3 / 3 * px - py / 3) / s
            r = (2.0 / 3.0 * py) / s
            # cube rounding (Patel): round all three, fix the one that moved most
            cz = -q - r
            rq, rr, rz = np.rint(q), np.rint(r), np.rint(cz)
            dq, dr, dz = np.abs(rq - q), np.abs(rr - r), np.abs(rz - cz)
            fix_q = (dq > dr) & (dq > dz)
            fix_r = ~fix_q & (dr > dz)
            rq = np.where(fix_q, -rr - rz, rq)
            rr = np.where(fix_r, -rq - rz, rr)
            row = rr.astype(np.intp)
            col = (rq + (row - (row & 1)) // 2).astype(np.intp)
        inside = (row >= 0) & (row < self.nrows) & (col >= 0) & (col < self.ncols)
        return np.where(inside, row * self.ncols + col, -1)

    def counts(self, xy: FloatArray, weights: FloatArray | None = None) -> FloatArray:
        """Points (or summed weights) per cell, all cells, flat order."""
        index = self.locate(xy)
        inside = index >= 0
        w = None if weights is None else weights[inside]
        return np.bincount(index[inside], weights=w, minlength=self.n_cells).astype(float)

    # -- cells to geometry
    def rows_cols(self, index: IntArray) -> tuple[IntArray, IntArray]:
        return index // self.ncols, index % self.ncols

    def centres(self, index: IntArray) -> FloatArray:
        """(n, 2) metric centres of the cells `index`."""
        row, col = self.rows_cols(index)
        if self.shape == "square":
            cx = self.x0 + (col + 0.5) * self.size
            cy = self.y0 + (row + 0.5) * self.size
        else:
            cx = self.x0 + self.width * (col + 0.5 + 0.5 * (row % 2))
            cy = self.y0 + self.side + self.row_height * row
        return np.column_stack([cx, cy]).astype(float)

    def polygons(self, index: IntArray) -> npt.NDArray[np.object_]:
        """Metric shapely polygons of the cells `index` (counter-clockwise rings)."""
        c = self.centres(index)
        if self.shape == "square":
            half = self.size / 2
            dx = np.array([-half, half, half, -half, -half])
            dy = np.array([-half, -half, half, half, -half])
        else:
            ang = np.deg2rad(np.array([-90, -30, 30, 90, 150, 210, -90], dtype=float))
            dx, dy = self.side * np.cos(ang), self.side * np.sin(ang)
        coords = np.stack([c[:, :1] + dx, c[:, 1:] + dy], axis=-1)
        return np.asarray(shapely.polygons(coords), dtype=object)

    # -- neighbours
    def _offsets(self, distance: float, parity: int) -> list[tuple[int, int]]:
        """(drow, dcol) of cells whose centre lies within `distance` of a cell in rows of
        `parity` (0 even, 1 odd), the cell itself included."""
        rmax = math.ceil(distance / self.row_height) + 1
        cmax = math.ceil(distance / self.width) + 1
        out = []
        tol = distance * (1 + 1e-9) + 1e-9
        for dr in range(-rmax, rmax + 1):
            for dc in range(-cmax, cmax + 1):
                if self.shape == "square":
                    dx, dy = dc * self.size, dr * self.size
                else:
                    shift = 0.5 * (((parity + dr) % 2) - parity)
                    dx, dy = self.width * (dc + shift), self.row_height * dr
                if math.hypot(dx, dy) <= tol:
                    out.append((dr, dc))
        return out

    def neighbours(self, cells: IntArray, distance: float) -> sp.csr_matrix:
        """Binary weights among `cells` (flat indices, in that order): 1 where centres lie
        within `distance` metres, the diagonal (focal cell) included.

        Cells outside `cells` (e.g. outside the study area) are neither neighbours nor
        counted. Returns an ``(len(cells), len(cells))`` CSR matrix of float64 ones.
        """
        n = len(cells)
        position = np.full(self.n_cells, -1, dtype=np.intp)
        position[cells] = np.arange(n)
        row, col = self.rows_cols(cells)
        parity = row % 2 if self.shape == "hexagon" else np.zeros(n, dtype=np.intp)
        src: list[IntArray] = []
        dst: list[IntArray] = []
        for p in (0, 1) if self.shape == "hexagon" else (0,):
            sel = np.flatnonzero(parity == p)
            r0, c0 = row[sel], col[sel]
            for dr, dc in self._offsets(distance, p):
                r1, c1 = r0 + dr, c0 + dc
                ok = (r1 >= 0) & (r1 < self.nrows) & (c1 >= 0) & (c1 < self.ncols)
                j = np.full(len(sel), -1, dtype=np.intp)
                j[ok] = position[r1[ok] * self.ncols + c1[ok]]
                good = j >= 0
                src.append(sel[good])
                dst.append(j[good])
        i_all = np.concatenate(src)
        j_all = np.concatenate(dst)
        data = np.ones(len(i_all), dtype=float)
        out = sp.csr_matrix((data, (i_all, j_all)), shape=(n, n))
        out.sort_indices()
        return out


def keep_cells(lattice: Lattice, area: shapely.Geometry | None) -> IntArray:
    """Flat indices of the lattice cells intersecting `area` (all cells when None)."""
    every = np.arange(lattice.n_cells, dtype=np.intp)
    if area is None:
        return every
    polys = lattice.polygons(every)
    shapely.prepare(area)
    return every[shapely.intersects(area, polys)]


def suggest_cell_size(
    xy: FloatArray,
    *,
    shape: CellShape = "square",
    min_mean_count: float = 5.0,
    bounds: tuple[float, float, float, float] | None = None,
) -> float:
    """The smallest round cell size (m) at which non-empty cells hold `min_mean_count`
    incidents on average, keeping at least :data:`MIN_CELLS` cells.

    Rule (ours, documented in :func:`gridmap.hotspots.local_stats.gi_star_hotspots`): try
    :data:`NICE_SIZES` from small to large; take the first whose non-empty cells average at
    least `min_mean_count` incidents, so that counts are not mostly 0/1 (Gi* then only sees
    noise); if that size leaves fewer than :data:`MIN_CELLS` cells, take the largest size
    that still gives that many.
    """
    if len(xy) == 0:
        msg = "`incidents` has no located points; nothing to count"
        raise ValidationError(msg)
    if bounds is None:
        bounds = (xy[:, 0].min(), xy[:, 1].min(), xy[:, 0].max(), xy[:, 1].max())
    extent = max(bounds[2] - bounds[0], bounds[3] - bounds[1], 1.0)
    best_enough: float | None = None
    for size in NICE_SIZES:
        if size < extent / 2000:  # > 4M cells: too fine to build
            continue
        lat = Lattice.covering(bounds, size, shape)
        counts = np.bincount(lat.locate(xy).clip(0), minlength=lat.n_cells)
        nonzero = counts[counts > 0]
        if lat.n_cells >= MIN_CELLS:
            best_enough = float(size)
        if nonzero.mean() >= min_mean_count:
            return float(size) if lat.n_cells >= MIN_CELLS else (best_enough or float(size))
    return best_enough if best_enough is not None else float(NICE_SIZES[-1])


def cells_frame(
    lattice: Lattice, cells: IntArray, crs: pyproj.CRS, columns: dict[str, Any]
) -> gpd.GeoDataFrame:
    """GeoDataFrame of `cells` in EPSG:4326 with `columns`, the cells' ids and centres.

    ``cell_id`` is ``"r{row}c{col}"``; ``x``/``y`` are the metric centres in `crs`
    (recorded in ``attrs["metric_crs"]``, with ``cell_size`` and ``cell_shape``).
    """
    row, col = lattice.rows_cols(cells)
    centres = lattice.centres(cells)
    ids = pd.Index(
        np.char.add(np.char.add("r", row.astype(str)), np.char.add("c", col.astype(str))),
        name="cell_id",
    )
    data = {"row": row, "col": col, "x": centres[:, 0], "y": centres[:, 1]}
    data.update(columns)
    metric = gpd.GeoSeries(lattice.polygons(cells), crs=crs)
    out = gpd.GeoDataFrame(data, geometry=metric.to_crs("EPSG:4326").array, index=ids)
    out.attrs.update(metric_crs=crs.to_string(), cell_size=lattice.size, cell_shape=lattice.shape)
    return out
