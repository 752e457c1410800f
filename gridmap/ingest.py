"""Bring an imported file into a workspace: check it against what is there, then commit.

This is the one path both the Data page and ``gridmap import`` take, so a user gets the
same checks (ids already present, points far outside the workspace) and the same atomic,
versioned write whichever they use.
"""

from __future__ import annotations

import glob
import os
import secrets
from pathlib import Path
from typing import Literal

import geopandas as gpd
import pandas as pd

from gridmap._errors import StoreError, ValidationError
from gridmap.i18n import Message
from gridmap.io import ImportResult, import_file
from gridmap.schema import BOOLEAN_WORDS, LayerSpec, layer_spec
from gridmap.store import GeoPackageStore, LayerVersion, WorkspaceStore, workspace_lock

Mode = Literal["append", "replace"]
Kind = Literal["datetime", "int", "float", "bool", "str"]

#: What a column holds in rows whose file did not have it. Imported files are real
#: records, so they are not ``synthetic``: only the bundled sample's incidents are
#: generated, and the Overview page warns about them through this flag.
MISSING_MEANS: dict[str, object] = {"synthetic": False}

#: Point layers grow by appending (new police calls every week); area and line layers
#: are replaced as a whole (a redrawn grid map supersedes the old one).
DEFAULT_MODE: dict[str, Mode] = {
    "incidents": "append",
    "sites": "append",
    "posts": "append",
    "tracks": "append",
    "grids": "replace",
    "streets": "replace",
    "buildings": "replace",
    "hotspots": "replace",
}


def read_into_workspace(
    store: WorkspaceStore,
    path: str | os.PathLike[str],
    layer: str,
    *,
    mode: Mode | None = None,
    **options: object,
) -> ImportResult:
    """Read `path` as `layer`, checked against the workspace (ids, bounds); write nothing.

    Extra keyword `options` go to :func:`gridmap.io.import_file` (``crs``, ``columns``,
    ``encoding`` …).
    """
    spec = layer_spec(layer)
    mode = mode or DEFAULT_MODE[layer]
    existing_ids: set[str] | None = None
    if mode == "append" and spec.id_column and layer in store.layers():
        current = store.read(layer, columns=[spec.id_column])
        existing_ids = set(current[spec.id_column].astype(str))
    bounds = store.settings().get("bounds")
    return import_file(
        path,
        layer,
        existing_ids=existing_ids,
        workspace_bounds=tuple(bounds) if bounds else None,  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


def read_for_new_workspace(
    path: str | os.PathLike[str],
    layer: str,
    *,
    mode: Mode | None = None,
    **options: object,
) -> ImportResult:
    """Read `path` as `layer` for a workspace that does not exist yet; write nothing.

    What :func:`read_into_workspace` gives for a new, empty workspace: no bounds to be
    far outside of, no ids to repeat. Pass the result to :func:`commit_to_new_workspace`.
    `mode` is accepted for symmetry (a new workspace has nothing to append to).
    """
    if mode is not None and mode not in ("append", "replace"):
        msg = f"`mode` must be 'append' or 'replace'; got {mode!r}"
        raise ValidationError(msg)
    layer_spec(layer)
    return import_file(path, layer, **options)  # type: ignore[arg-type]


def commit_to_new_workspace(
    path: str | os.PathLike[str],
    result: ImportResult,
    *,
    mode: Mode | None = None,
    author: str | None = None,
    message: str | None = None,
) -> LayerVersion:
    """Create the workspace `path` holding `result`, or nothing at all if the import fails.

    The workspace is built under a hidden name next to `path` and renamed into place, so
    a refused import does not leave an empty workspace that later commands would open.
    An existing workspace is never overwritten (:class:`~gridmap.store.StoreError`).
    Used by ``gridmap -w NEW import`` and the Data page's "new workspace from this file".
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Held from the check to the rename: nobody can create the workspace in between,
    # and a killed import's hidden file is known stale once the lock is free again.
    with workspace_lock(path).hold(None, str(author or "gridmap import")):
        if path.exists():  # someone created it meanwhile: never overwrite a workspace
            raise StoreError(Message("workspace_exists", name=path.stem))
        tmp = path.with_name(f".{path.stem}.{secrets.token_hex(6)}.new.gpkg")
        try:
            version = commit_import(
                GeoPackageStore(tmp), result, mode=mode, author=author, message=message
            )
            os.replace(tmp, path)
        finally:
            for leftover in tmp.parent.glob(f"{glob.escape(tmp.name)}*"):
                leftover.unlink(missing_ok=True)
            workspace_lock(tmp).lock_path.unlink(missing_ok=True)
    return version


def commit_import(
    store: WorkspaceStore,
    result: ImportResult,
    *,
    mode: Mode | None = None,
    author: str | None = None,
    message: str | None = None,
) -> LayerVersion:
    """Write the good rows of `result` into `store` as a new version of its layer."""
    layer = result.layer
    mode = mode or DEFAULT_MODE[layer]
    if mode not in ("append", "replace"):
        msg = f"`mode` must be 'append' or 'replace'; got {mode!r}"
        raise ValidationError(msg)
    if not len(result.data):
        msg = f"layer `{layer}`: the file has no good rows to import"
        raise ValidationError(msg)
    note = message or (
        f"import {len(result.data)} rows ({mode})"
        + (f", {len(result.rejected)} rejected" if len(result.rejected) else "")
    )
    # The lock spans the read of the current version and the write based on it: two
    # appends at once then run one after the other, the second on top of the first,
    # instead of both writing "current + mine" and losing the other's rows.
    with store.writing():
        parts = [result.data]
        base = store.current_version(layer)
        if mode == "append" and base is not None:
            current = store.read(layer, version=base)
            parts.insert(0, current)
            _refuse_repeated_ids(current, result.data, layer)
        data = combine_rows(parts, layer)
        return store.write(layer, data, author=author, message=note, based_on=base)


def _refuse_repeated_ids(current: gpd.GeoDataFrame, new: gpd.GeoDataFrame, layer: str) -> None:
    """Refuse an append whose ids arrived in the workspace after the file was checked.

    :func:`read_into_workspace` rejects ids already present when the file is read; an
    import committed meanwhile by someone else may have added the same ids since.
    """
    column = layer_spec(layer).id_column
    if not column or column not in current.columns or column not in new.columns:
        return
    repeated = set(new[column].astype(str)) & set(current[column].astype(str))
    if repeated:
        sample = ", ".join(sorted(repeated)[:5])
        raise ValidationError(
            Message("ids_added_meanwhile", n=len(repeated), column=column, ids=sample)
        )


def combine_rows(parts: list[gpd.GeoDataFrame], layer: str) -> gpd.GeoDataFrame:
    """Stack `parts` (the stored layer first, then imported rows) with one dtype per column.

    A plain :func:`pandas.concat` lets a column missing from one part turn the other's
    values into text or floats: the sample's 24,000 ``synthetic`` booleans became the
    strings ``'True'``/``'False'`` after one appended file without that column. Here
    every column gets one kind: the one the layer's spec declares, else the kind its
    values have (text when the parts disagree). Rows without the column get an empty
    value of that kind, or :data:`MISSING_MEANS`. Integer columns with empty values use
    pandas' nullable ``Int64``; columns only one part has are kept.

    Parameters
    ----------
    parts : list of geopandas.GeoDataFrame
        The frames to stack, in order; the first one's CRS, geometry column and column
        order are kept, later parts' extra columns follow.
    layer : str
        The layer the rows belong to (see :data:`gridmap.schema.LAYERS`).

    Returns
    -------
    geopandas.GeoDataFrame
    """
    spec = layer_spec(layer)
    if not parts:
        msg = "`parts` must hold at least one frame"
        raise ValidationError(msg)
    first = parts[0]
    geometry_name = first.geometry.name
    names: list[str] = []
    for part in parts:
        names += [c for c in part.columns if c != part.geometry.name and c not in names]
    columns = {}
    for name in names:
        present = [part[name] for part in parts if name in part.columns]
        kind = _column_kind(name, present, spec)
        try:
            pieces = [
                _as_kind(part[name], kind)
                if name in part.columns
                else _missing(len(part), kind, MISSING_MEANS.get(name))
                for part in parts
            ]
        except (ValueError, TypeError) as exc:
            msg = f"layer `{spec.name}`: column {name} must hold {kind} values ({exc})"
            raise ValidationError(msg) from None
        values = pd.concat(pieces, ignore_index=True)
        if name in MISSING_MEANS:
            values = values.fillna(MISSING_MEANS[name]).astype(type(MISSING_MEANS[name]))
        elif kind in ("int", "bool") and not values.isna().any():
            # Whole columns keep plain numpy dtypes, as the layer had before the import.
            values = values.astype("int64" if kind == "int" else "bool")
        columns[name] = values
    geometry = pd.concat(
        [part.geometry.to_crs(first.crs) for part in parts], ignore_index=True
    ).rename(geometry_name)
    return gpd.GeoDataFrame(columns, geometry=geometry, crs=first.crs)


def _kind_of(values: pd.Series) -> Kind:
    dtype = values.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    return "str"


def _column_kind(name: str, present: list[pd.Series], spec: LayerSpec) -> Kind:
    declared = spec.dtypes.get(name)
    if declared in ("datetime", "int"):
        return declared  # type: ignore[return-value]
    if name in MISSING_MEANS:
        return "bool"
    kinds = {_kind_of(values) for values in present}
    if len(kinds) == 1:
        return kinds.pop()
    if kinds <= {"int", "float"}:
        return "float"
    # e.g. an amount column holding 100 in one file and 一百元 in the next: text keeps both.
    return "str"


def _as_kind(values: pd.Series, kind: Kind) -> pd.Series:
    values = values.reset_index(drop=True)
    if kind == "datetime":
        return values if _kind_of(values) == "datetime" else pd.to_datetime(values)
    if kind in ("int", "float"):
        numbers = pd.to_numeric(values) if _kind_of(values) == "str" else values
        if kind == "float":
            return numbers.astype("float64")
        floats = numbers.astype("float64")
        whole = floats.dropna()
        # A stored column that is not whole numbers after all keeps its fractions.
        return numbers.astype("Int64") if (whole == whole.round()).all() else floats
    if kind == "bool":
        if _kind_of(values) != "bool":
            # A layer written before this fix may hold its flags as text.
            values = values.astype("str").str.strip().str.lower().map(BOOLEAN_WORDS)
        return values.astype("boolean")
    return values.astype("str")


def _missing(n: int, kind: Kind, default: object) -> pd.Series:
    dtype = {
        "datetime": "datetime64[ms]",
        "int": "Int64",
        "float": "float64",
        "bool": "boolean",
        "str": "str",
    }[kind]
    return pd.Series([default] * n if default is not None else None, index=range(n), dtype=dtype)
