"""What every workspace backend shares: the :class:`WorkspaceStore` interface, its
errors, the version record and the rules both backends follow.

A backend (GeoPackage in :mod:`gridmap.store._gpkg`, PostGIS in
:mod:`gridmap.store._postgis`) implements the abstract methods; the aggregation helpers
(:meth:`WorkspaceStore.count_by`, :meth:`WorkspaceStore.aggregate_points`) have a
default that reads rows and counts them in pandas/numpy, which a database backend
overrides to count where the rows are.
"""

from __future__ import annotations

import abc
import contextlib
import getpass
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from gridmap._errors import StoreError
from gridmap.crs import working_crs
from gridmap.i18n import Message
from gridmap.schema import STORAGE_CRS, validate_layer

VERSIONS_TABLE = "gridmap_versions"
SETTINGS_TABLE = "gridmap_settings"
#: Env var naming the folder that holds workspaces (default: the user's data directory).
HOME_ENV = "GRIDMAP_HOME"
#: Env var naming the workspace file the app and CLI open by default.
WORKSPACE_ENV = "GRIDMAP_WORKSPACE"
#: Env var: seconds a writer waits for another one to finish (default
#: :data:`DEFAULT_BUSY_TIMEOUT`).
BUSY_TIMEOUT_ENV = "GRIDMAP_BUSY_TIMEOUT"
#: A write waits this long for the one before it; imports of a million rows take ~10 s.
DEFAULT_BUSY_TIMEOUT = 60.0
DEFAULT_WORKSPACE = "sample"
#: Settings key recording that the user chose the working CRS (so the bounds do not).
EXPLICIT_CRS_KEY = "working_crs_explicit"
#: Any layer version may be written over (no version check): see ``based_on``.
ANY_VERSION = -1


class WorkspaceBusyError(StoreError):
    """Another writer holds the workspace longer than the busy timeout: try again."""


class VersionConflictError(StoreError):
    """A write was based on a version that is no longer current."""


@dataclass(frozen=True)
class LayerVersion:
    """One version of a layer: who made it, when, why, and how many features it has."""

    layer: str
    version: int
    created_at: datetime
    author: str
    message: str
    n_features: int
    action: str  # "write" or "restore"
    based_on: int | None  # for restores: the version brought back
    table: str
    #: False when the author is a name someone typed (the web page before accounts
    #: exist, ``--author`` on the command line); True for the operating-system account
    #: that ran the command.
    author_verified: bool = False


#: Time bins :meth:`WorkspaceStore.count_by` counts by (PostgreSQL's ``date_trunc`` units;
#: weeks start on Monday in both backends).
TIME_BINS = ("hour", "day", "week", "month")

Where = Mapping[str, object]
Between = Mapping[str, tuple[object, object]]


def check_filters(where: Where | None, between: Between | None) -> None:
    """Refuse malformed `where`/`between` filters with a message naming the argument."""
    for name, value in (("where", where), ("between", between)):
        if value is not None and not isinstance(value, Mapping):
            msg = f"`{name}` must map column names to values; got {type(value).__name__}"
            raise StoreError(msg)
    for column, span in (between or {}).items():
        if not (isinstance(span, tuple | list) and len(span) == 2):
            msg = f"`between[{column!r}]` must be a (low, high) pair; got {span!r}"
            raise StoreError(msg)


def filter_frame(frame: pd.DataFrame, where: Where | None, between: Between | None) -> pd.Series:
    """Rows of `frame` kept by `where` (equal / one of) and `between` (``low <= v < high``)."""
    keep = pd.Series(True, index=frame.index)
    for column, value in (where or {}).items():
        values = list(value) if isinstance(value, list | tuple | set | frozenset) else [value]
        keep &= frame[column].isin(values)
    for column, (low, high) in (between or {}).items():
        series = frame[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            low = None if low is None else pd.Timestamp(low)
            high = None if high is None else pd.Timestamp(high)
        if low is not None:
            keep &= series >= low
        if high is not None:
            keep &= series < high
    return keep


def time_floor(series: pd.Series, unit: str) -> pd.Series:
    """`series` (datetimes) floored to `unit` (one of :data:`TIME_BINS`)."""
    if unit == "hour":
        return series.dt.floor("h")
    if unit == "day":
        return series.dt.floor("D")
    if unit == "week":
        day = series.dt.floor("D")
        return day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    return series.dt.to_period("M").dt.start_time.astype(series.dtype)


class WorkspaceStore(abc.ABC):
    """What every workspace backend offers; pages and the CLI use only this."""

    location: str
    #: Whether :meth:`incident_summary` is kept in the database (read, not computed from
    #: the rows): pages then ask the store for counts instead of reading incidents.
    summarised_in_database: bool = False

    @abc.abstractmethod
    def layers(self) -> list[str]:
        """Names of the layers that have at least one version."""

    @abc.abstractmethod
    def read(
        self,
        layer: str,
        *,
        version: int | None = None,
        columns: list[str] | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        max_features: int | None = None,
    ) -> gpd.GeoDataFrame:
        """Read the current (or a given) version of `layer` in EPSG:4326.

        `max_features` reads only the first rows (a table preview of a large layer).
        """

    @abc.abstractmethod
    def writing(self, *, timeout: float | None = None) -> contextlib.AbstractContextManager[None]:
        """Hold the workspace's write lock: no other writer runs until the block ends.

        Re-entrant in one thread. Every write method takes it itself; hold it around a
        read-modify-write (read the current version, change it, write it back) so that
        nobody else writes in between.

        Raises
        ------
        WorkspaceBusyError
            when another writer still holds it after `timeout` seconds (default
            ``$GRIDMAP_BUSY_TIMEOUT`` or :data:`DEFAULT_BUSY_TIMEOUT`).
        """

    @abc.abstractmethod
    def write(
        self,
        layer: str,
        data: gpd.GeoDataFrame,
        *,
        author: str | None = None,
        message: str,
        based_on: int | None = ANY_VERSION,
    ) -> LayerVersion:
        """Store `data` as the new current version of `layer`, atomically.

        Parameters
        ----------
        layer : str
            One of :data:`gridmap.schema.LAYERS`.
        data : geopandas.GeoDataFrame
            The whole new version (any CRS; stored in EPSG:4326).
        author : str, optional
            Who makes the change, as typed by a person (recorded as unverified). Without
            it, the operating-system account running the process (verified).
        message : str
            Why the layer changes; required.
        based_on : int or None
            The version the caller read and changed (``None``: the layer must have none
            yet). The write is refused if the current version is another one.
            :data:`ANY_VERSION` (the default) skips the check.

        Raises
        ------
        VersionConflictError
            when `based_on` is not the current version; the message names who wrote the
            current one and when.
        WorkspaceBusyError
            when another writer holds the workspace past the busy timeout.
        """

    @abc.abstractmethod
    def history(self, layer: str | None = None) -> list[LayerVersion]:
        """Every version of `layer` (or of all layers), oldest first."""

    @abc.abstractmethod
    def restore(
        self, layer: str, version: int, *, author: str | None = None, message: str | None = None
    ) -> LayerVersion:
        """Make an earlier `version` of `layer` current again, as a new version."""

    @abc.abstractmethod
    def settings(self) -> dict[str, object]:
        """Workspace settings (name, working CRS, bounds …)."""

    @abc.abstractmethod
    def update_settings(self, **values: object) -> None:
        """Set workspace settings; values must be JSON-serialisable.

        ``bounds`` follow the layers' current versions; ``working_crs`` follows the bounds
        unless set here.
        """

    def current_version(self, layer: str) -> int | None:
        """The current version number of `layer`, None if it has none."""
        versions = self.history(layer)
        return versions[-1].version if versions else None

    def working_crs(self) -> pyproj.CRS:
        """The metric CRS analysis runs in, chosen from the workspace bounds."""
        crs = self.settings().get("working_crs")
        if crs:
            return pyproj.CRS.from_user_input(crs)
        bounds = self.settings().get("bounds")
        if not bounds:
            msg = "the workspace has no data yet, so no working CRS can be chosen"
            raise StoreError(msg)
        return working_crs(tuple(bounds))  # type: ignore[arg-type]

    def location_label(self) -> str:
        """How to show this workspace to a person (no password)."""
        return self.location

    @staticmethod
    def _check_write(layer: str, data: gpd.GeoDataFrame, message: str) -> None:
        """What every backend's :meth:`write` checks before it takes the lock."""
        validate_layer(data, layer)
        if not message or not message.strip():
            msg = "`message` must say why the layer changes"
            raise StoreError(msg)

    def _check_based_on(self, layer: str, based_on: int | None) -> None:
        if based_on == ANY_VERSION:
            return
        versions = self.history(layer)
        current = versions[-1] if versions else None
        if (current.version if current else None) == based_on:
            return
        if current is None:
            raise VersionConflictError(
                Message("version_conflict_gone", layer=layer, based_on=based_on)
            )
        raise VersionConflictError(
            Message(
                "version_conflict",
                layer=layer,
                based_on=based_on if based_on is not None else 0,
                current=current.version,
                author=current.author,
                when=current.created_at.isoformat(sep=" "),
            )
        )

    def _version_row(self, layer: str, version: int | None) -> LayerVersion:
        versions = self.history(layer)
        if not versions:
            msg = f"layer `{layer}` has no data in workspace {self.location_label()}"
            raise StoreError(msg)
        if version is None:
            return versions[-1]
        for row in versions:
            if row.version == version:
                return row
        msg = f"layer `{layer}` has no version {version} (versions 1–{versions[-1].version})"
        raise StoreError(msg)

    # -- aggregation (counted where the rows are, when the backend can) -----------------
    def count_by(
        self,
        layer: str,
        columns: Sequence[str] = (),
        *,
        where: Where | None = None,
        between: Between | None = None,
        time_bin: tuple[str, str] | None = None,
        within: shapely.Geometry | None = None,
    ) -> pd.DataFrame:
        """Count the features of `layer`'s current version by `columns` (and a time bin).

        The Overview's figures (incidents per category in a reporting window) and the
        heatmap page's time series, without shipping every row to the page: the PostGIS
        store runs one ``GROUP BY`` in the database; this default reads only the named
        columns and counts them with pandas.

        Parameters
        ----------
        layer : str
            One of :data:`gridmap.schema.LAYERS`.
        columns : sequence of str
            Attribute columns to group by (none: one total).
        where : mapping, optional
            ``{column: value}`` keeps rows equal to `value`, or to one of them when it is
            a list, tuple or set.
        between : mapping, optional
            ``{column: (low, high)}`` keeps ``low <= value < high`` (either may be None);
            datetimes are compared as stored (naive, as written).
        time_bin : (str, str), optional
            ``(column, unit)`` adds `column` floored to `unit` (one of :data:`TIME_BINS`,
            weeks starting on Monday) to the groups, under the column's own name.
        within : shapely geometry, optional
            Only points it covers (edge included), EPSG:4326: an account's area.

        Returns
        -------
        pandas.DataFrame
            One row per group present, the group columns then ``count`` (int64), sorted
            by the groups.

        Raises
        ------
        StoreError
            when the layer has no data, or a filter or `time_bin` is malformed.
        """
        columns = list(columns)
        check_filters(where, between)
        if time_bin is not None and (len(time_bin) != 2 or time_bin[1] not in TIME_BINS):
            msg = (
                f"`time_bin` must be (column, unit) with unit one of {TIME_BINS}; got {time_bin!r}"
            )
            raise StoreError(msg)
        needed = list(
            dict.fromkeys([*columns, *(where or {}), *(between or {}), *time_bin[:1]])
            if time_bin
            else dict.fromkeys([*columns, *(where or {}), *(between or {})])
        )
        rows = _covered(self.read(layer, columns=needed, bbox=_bounds(within)), within)
        frame = pd.DataFrame(rows.drop(columns="geometry"))
        frame = frame[filter_frame(frame, where, between)]
        groups = list(columns)
        if time_bin is not None:
            frame[time_bin[0]] = time_floor(frame[time_bin[0]], time_bin[1])
            groups.append(time_bin[0])
        if not groups:
            return pd.DataFrame({"count": np.array([len(frame)], dtype="int64")})
        counts = frame.groupby(groups, dropna=False, sort=True).size().rename("count")
        return counts.astype("int64").reset_index()

    def count_in_polygons(
        self,
        layer: str,
        polygons: str,
        key: str,
        *,
        where: Where | None = None,
        between: Between | None = None,
    ) -> pd.DataFrame:
        """Count the points of `layer` in each polygon of layer `polygons` (incidents per
        grid, for the Overview's map and grid table).

        A point belongs to the first polygon (in the order written) that covers it, edge
        included, as in :func:`gridmap.stats.assign_grid`, so a point on a shared edge is
        counted once. The PostGIS store runs one query (an index probe per point); this
        default reads both layers and uses :func:`gridmap.stats.assign_grid`.

        Parameters
        ----------
        layer : str
            A point layer (incidents).
        polygons : str
            A polygon layer (grids).
        key : str
            Column of `polygons` naming each polygon (``grid_code``).
        where, between : mapping, optional
            Filters on `layer`, as in :meth:`count_by`.

        Returns
        -------
        pandas.DataFrame
            `key` and ``count`` (int64), one row per polygon with at least one point,
            sorted by `key`.
        """
        from gridmap.stats import assign_grid

        check_filters(where, between)
        needed = list(dict.fromkeys([*(where or {}), *(between or {})]))
        points = self.read(layer, columns=needed)
        points = points[filter_frame(points, where, between).to_numpy()]
        areas = self.read(polygons, columns=[key])
        codes = assign_grid(points, areas, id_column=key).dropna()
        counts = codes.value_counts().sort_index().astype("int64")
        return pd.DataFrame({key: counts.index.to_numpy(), "count": counts.to_numpy()})

    def aggregate_points(
        self,
        layer: str,
        *,
        cell: float,
        crs: pyproj.CRS | str | int | None = None,
        bounds: tuple[float, float, float, float] | None = None,
        where: Where | None = None,
        between: Between | None = None,
        within: shapely.Geometry | None = None,
    ) -> pd.DataFrame:
        """Count the points of `layer` in square cells of `cell` metres (KDE binning).

        Cell ``(ix, iy)`` covers ``ix*cell <= x < (ix+1)*cell`` (and the same in y) in
        `crs` coordinates, so the counts are the histogram a kernel density estimate is
        convolved from (:mod:`gridmap.hotspots.density`). The PostGIS store bins with
        ``floor(ST_X(ST_Transform(geom, srid)) / cell)`` … ``GROUP BY`` in the database;
        this default reads the points and bins them with numpy.

        Parameters
        ----------
        layer : str
            A point layer.
        cell : float
            Cell size in units of `crs` (metres for a projected CRS); positive.
        crs : CRS, optional
            The CRS to bin in; default the workspace's working CRS.
        bounds : (minx, miny, maxx, maxy), optional
            Only points in this box (EPSG:4326 degrees), through the spatial index.
        where, between : mapping, optional
            As in :meth:`count_by`.
        within : shapely geometry, optional
            Only points it covers (edge included), EPSG:4326: an account's area.

        Returns
        -------
        pandas.DataFrame
            ``ix``, ``iy`` (int64 cell indices) and ``count`` (int64), one row per
            non-empty cell, sorted by ``ix, iy``.
        """
        if not (isinstance(cell, int | float) and np.isfinite(cell) and cell > 0):
            msg = f"`cell` must be a positive number of CRS units; got {cell!r}"
            raise StoreError(msg)
        check_filters(where, between)
        target = pyproj.CRS.from_user_input(crs) if crs is not None else self.working_crs()
        needed = list(dict.fromkeys([*(where or {}), *(between or {})]))
        frame = _covered(self.read(layer, columns=needed, bbox=_bounds(within, bounds)), within)
        frame = frame[filter_frame(frame, where, between).to_numpy()]
        points = frame.geometry.to_crs(target) if target != STORAGE_CRS else frame.geometry
        ix = np.floor(points.x.to_numpy() / cell).astype("int64")
        iy = np.floor(points.y.to_numpy() / cell).astype("int64")
        return bin_counts(ix, iy)

    def incident_summary(self) -> pd.DataFrame:
        """Incidents of the current version per grid, calendar day and category.

        What the Overview's figures and the Heatmaps page's counts are sums of
        (:mod:`gridmap.store._summary`): a few hundred thousand rows at 5,000,000
        incidents, instead of the rows themselves. The PostGIS store keeps it per pair of
        versions (made in the write's transaction); this default computes it from the
        rows, so a store that filters its reads (an account's scope) summarises only
        what it may read.

        Returns
        -------
        pandas.DataFrame
            ``grid_code`` (text; missing outside every grid or without grids), ``day``
            (midnight starting the incident's calendar day, as written, without time
            zone), ``midnight`` (the incident is at exactly that midnight), ``category``
            and ``count`` (int64); no rows without incidents.
        """
        from gridmap.store._summary import empty_summary, summarise

        if self.current_version("incidents") is None:
            return empty_summary()
        points = self.read("incidents", columns=["category", "occurred_at"])
        grids = (
            self.read("grids", columns=["grid_code"])
            if self.current_version("grids") is not None
            else None
        )
        return summarise(points, grids)

    def point_statistics(
        self,
        layer: str,
        *,
        crs: pyproj.CRS | str | int | None = None,
        where: Where | None = None,
        between: Between | None = None,
        within: shapely.Geometry | None = None,
    ) -> dict[str, float]:
        """How the points of `layer` spread in `crs`: what a kernel density needs before
        it bins (Silverman's bandwidth, the raster's extent).

        The PostGIS store measures in the database (``stddev_samp``, ``percentile_cont``
        on the stored working-CRS coordinates); this default projects the rows and uses
        numpy (``std(ddof=1)``, linear ``percentile``: the same definitions).

        Parameters
        ----------
        layer : str
            A point layer.
        crs : CRS, optional
            The CRS to measure in; default the workspace's working CRS.
        where, between : mapping, optional
            As in :meth:`count_by`.
        within : shapely geometry, optional
            Only points it covers (edge included), EPSG:4326: an account's area.

        Returns
        -------
        dict
            ``n`` (points with coordinates), ``min_x``, ``min_y``, ``max_x``, ``max_y``,
            ``std_x``, ``std_y``, ``q25_x``, ``q75_x``, ``q25_y``, ``q75_y`` (NaN where
            there are too few points).
        """
        check_filters(where, between)
        target = pyproj.CRS.from_user_input(crs) if crs is not None else self.working_crs()
        needed = list(dict.fromkeys([*(where or {}), *(between or {})]))
        frame = _covered(self.read(layer, columns=needed, bbox=_bounds(within)), within)
        frame = frame[filter_frame(frame, where, between).to_numpy()]
        points = frame.geometry.to_crs(target) if target != STORAGE_CRS else frame.geometry
        x, y = points.x.to_numpy(), points.y.to_numpy()
        present = np.isfinite(x) & np.isfinite(y)
        return spread_of(x[present], y[present])

    # -- copying between backends (gridmap copy) -------------------------------------------
    @abc.abstractmethod
    def _put_version(
        self, record: LayerVersion, data: gpd.GeoDataFrame | None, *, table: str | None
    ) -> LayerVersion:
        """Append `record` as it is (author, time, message, action, based_on).

        With `data`, store it as a new table; otherwise point the version at `table`,
        a table of this workspace (a restore). Used by :func:`gridmap.store.copy_workspace`
        on an empty workspace, under its write lock.
        """


def _bounds(
    within: shapely.Geometry | None, bbox: tuple[float, float, float, float] | None = None
) -> tuple[float, float, float, float] | None:
    """`bbox` narrowed to `within`'s bounds (rows are then read through the index)."""
    if within is None:
        return bbox
    x0, y0, x1, y1 = (float(v) for v in shapely.bounds(within))
    if shapely.is_empty(within):
        x0 = y0 = x1 = y1 = 0.0
    if bbox is not None:
        x0, y0, x1, y1 = max(x0, bbox[0]), max(y0, bbox[1]), min(x1, bbox[2]), min(y1, bbox[3])
    return (x0, y0, max(x0, x1), max(y0, y1))


def _covered(frame: gpd.GeoDataFrame, within: shapely.Geometry | None) -> gpd.GeoDataFrame:
    """The rows of `frame` whose geometry `within` covers (all when None)."""
    if within is None:
        return frame
    return frame[shapely.covers(within, frame.geometry.to_numpy())]


def spread_of(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """:meth:`WorkspaceStore.point_statistics` of coordinates `x`, `y` (no missing)."""
    n = len(x)
    stats: dict[str, float] = {"n": float(n)}
    for axis, values in (("x", x), ("y", y)):
        stats[f"min_{axis}"] = float(values.min()) if n else np.nan
        stats[f"max_{axis}"] = float(values.max()) if n else np.nan
        stats[f"std_{axis}"] = float(values.std(ddof=1)) if n > 1 else np.nan
        q25, q75 = np.percentile(values, [25, 75]) if n else (np.nan, np.nan)
        stats[f"q25_{axis}"], stats[f"q75_{axis}"] = float(q25), float(q75)
    return stats


def bin_counts(ix: np.ndarray, iy: np.ndarray) -> pd.DataFrame:
    """Count equal ``(ix, iy)`` pairs: ``ix``, ``iy``, ``count``, sorted by ``ix, iy``."""
    if not len(ix):
        return pd.DataFrame({name: np.array([], dtype="int64") for name in ("ix", "iy", "count")})
    pairs, counts = np.unique(np.column_stack([ix, iy]), axis=0, return_counts=True)
    return pd.DataFrame({"ix": pairs[:, 0], "iy": pairs[:, 1], "count": counts.astype("int64")})


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


#: Longest workspace name the web page accepts.
WORKSPACE_NAME_LIMIT = 64


def check_workspace_name(name: str) -> str:
    """`name` stripped, if it is a plain workspace name; else :class:`StoreError`.

    The web page creates and opens workspaces by name only: letters, digits (any script,
    so Chinese names work), ``-`` and ``_``, at most :data:`WORKSPACE_NAME_LIMIT`
    characters, not starting with ``-``. Paths, dots, separators and control characters
    are refused, so a name typed in the browser can never reach a file outside
    :func:`workspaces_dir`. Paths stay an option of the machine's owner (command line,
    ``GRIDMAP_WORKSPACE``).

    >>> check_workspace_name(" 朝阳-2026_A ")
    '朝阳-2026_A'
    >>> check_workspace_name("../etc/x")
    Traceback (most recent call last):
    ...
    gridmap._errors.StoreError: workspace name '../etc/x' is not allowed: ...
    """
    text = str(name).strip()
    plain = (
        0 < len(text) <= WORKSPACE_NAME_LIMIT
        and not text.startswith("-")
        and all(ch.isalnum() or ch in "-_" for ch in text)
    )
    if not plain:
        raise StoreError(
            Message(
                "workspace_name_invalid",
                name="".join(ch if ch.isprintable() else "?" for ch in text[:80]),
                limit=WORKSPACE_NAME_LIMIT,
            )
        )
    return text


class VerifiedAuthor(str):
    """An author name the caller has checked (a signed-in account), recorded as verified.

    Pass it as ``author=`` to :meth:`WorkspaceStore.write` or ``restore``; a plain
    ``str`` is a name someone typed and is recorded as unverified. Only trusted code
    (:class:`gridmap.access.ScopedStore`, after a sign-in) makes one.
    """

    __slots__ = ()


def _author_row(author: str | None) -> tuple[str, bool]:
    """The name recorded for `author` and whether it is verified (see :class:`VerifiedAuthor`)."""
    typed = (author or "").strip()
    if not typed:
        return _default_author(), True
    return typed, isinstance(author, VerifiedAuthor)


def _default_author() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "gridmap"


def busy_timeout() -> float:
    """Seconds a writer waits for the one before it (``$GRIDMAP_BUSY_TIMEOUT``)."""
    text = os.environ.get(BUSY_TIMEOUT_ENV)
    if not text:
        return DEFAULT_BUSY_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        msg = f"`{BUSY_TIMEOUT_ENV}` must be a number of seconds; got {text!r}"
        raise StoreError(msg)
    return value
