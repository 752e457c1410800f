"""Export a grid plan with its old → new code mapping (GeoPackage, GeoJSON, zipped Shapefile).

A plan leaves the app for other tools (QGIS, ArcGIS, the city's grid register) together
with the table saying which old grids each new grid comes from
(:func:`gridmap.grids.metrics.code_mapping`):

- **GeoPackage**: the grids (a layer named after the file, as :func:`gridmap.io.export_layer`
  names it) and the attribute table ``code_mapping`` in one file;
- **GeoJSON**: one file; each feature carries ``old_code`` (the old grid it mostly comes
  from) and ``old_codes`` (all of them, ``;``-separated); the full table is written beside
  it as ``<name>_code_mapping.csv``;
- **Shapefile**: a ``.zip`` (``.shp``, ``.shx``, ``.dbf``, ``.prj``, ``.cpg``) that also
  holds ``code_mapping.csv``.

Files are written through :func:`gridmap.io.export_layer` (its CRS options, UTF-8, and
its checks of the destination); CSV cells go through :func:`gridmap.io.neutralise_formulas`.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from gridmap._errors import ValidationError
from gridmap.grids.metrics import code_mapping
from gridmap.io import csv_bytes, export_layer, write_csv

#: Formats of :func:`export_plan` and the file extension each writes.
PLAN_FORMATS = {"gpkg": ".gpkg", "geojson": ".geojson", "shp": ".zip"}


def with_old_codes(plan: gpd.GeoDataFrame, mapping: pd.DataFrame) -> gpd.GeoDataFrame:
    """`plan` with ``old_code`` (main source) and ``old_codes`` (all, ``;``-joined) columns."""
    codes = plan["grid_code"].astype(str)
    grouped = mapping.groupby("new_code", sort=False)["old_code"]
    main = grouped.first()
    every = grouped.agg(lambda s: ";".join(s.astype(str)))
    return plan.assign(old_code=codes.map(main).to_numpy(), old_codes=codes.map(every).to_numpy())


def export_plan(
    plan: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    before: gpd.GeoDataFrame,
    fmt: str | None = None,
    crs: object = "wgs84",
) -> list[Path]:
    """Write `plan` and its code mapping from `before` (today's grids) to `path`.

    Parameters
    ----------
    plan : GeoDataFrame
        The plan's grids (``grid_code``), any CRS.
    path : path-like
        Where to write; the folder must exist.
    before : GeoDataFrame
        The grids the plan replaces, for the mapping.
    fmt : {"gpkg", "geojson", "shp"}, optional
        Default: from the extension of `path` (``.gpkg``, ``.geojson``/``.json``, ``.zip``).
    crs : str, int or pyproj.CRS, default "wgs84"
        Coordinates written, as :func:`gridmap.io.export_layer` takes them.

    Returns
    -------
    list of Path
        The files written (the plan first).

    Raises
    ------
    ValidationError
        For an unknown format, a plan without ``grid_code``, or a destination that cannot
        be written.
    """
    target = Path(path)
    if fmt is None:
        suffix = target.suffix.lower()
        fmt = {".json": "geojson", ".shp": "shp"}.get(suffix) or next(
            (f for f, e in PLAN_FORMATS.items() if e == suffix), None
        )
    if fmt not in PLAN_FORMATS:
        msg = (
            f"`fmt` must be one of {', '.join(PLAN_FORMATS)} (or follow from the extension"
            f" of `path`); got {fmt!r}"
        )
        raise ValidationError(msg)
    if "grid_code" not in plan.columns:
        msg = "`plan` must have a grid_code column"
        raise ValidationError(msg)
    mapping = code_mapping(before, plan)
    layer = with_old_codes(plan, mapping)
    if fmt == "gpkg":
        written = export_layer(layer, target, fmt="gpkg", crs=crs)
        pyogrio.write_dataframe(mapping, written, layer="code_mapping", driver="GPKG")
        return [written]
    if fmt == "geojson":
        written = export_layer(layer, target, fmt="geojson", crs=crs)
        table = write_csv(mapping, written.with_name(f"{written.stem}_code_mapping.csv"))
        return [written, table]
    written = export_layer(layer, target, fmt="shp", crs=crs)
    with zipfile.ZipFile(written, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("code_mapping.csv", csv_bytes(mapping))
    return [written]


def plan_file(
    plan: gpd.GeoDataFrame, *, before: gpd.GeoDataFrame, fmt: str, name: str = "grids_plan"
) -> tuple[str, bytes]:
    """The file :func:`export_plan` writes, as (file name, bytes) for a download.

    GeoJSON comes as one file: its features carry ``old_code`` and ``old_codes``.
    """
    if fmt not in PLAN_FORMATS:
        msg = f"`fmt` must be one of {', '.join(PLAN_FORMATS)}; got {fmt!r}"
        raise ValidationError(msg)
    with tempfile.TemporaryDirectory(prefix="gridmap-plan-") as folder:
        target = Path(folder) / f"{name}{PLAN_FORMATS[fmt]}"
        written = export_plan(plan, target, before=before, fmt=fmt)
        return written[0].name, written[0].read_bytes()
