"""Bring an imported file into a workspace: check it against what is there, then commit.

This is the one path both the Data page and ``gridmap import`` take, so a user gets the
same checks (ids already present, points far outside the workspace) and the same atomic,
versioned write whichever they use.
"""

from __future__ import annotations

import os
from typing import Literal

import geopandas as gpd
import pandas as pd

from gridmap._errors import ValidationError
from gridmap.io import ImportResult, import_file
from gridmap.schema import layer_spec
from gridmap.store import LayerVersion, WorkspaceStore

Mode = Literal["append", "replace"]

#: Point layers grow by appending (new police calls every week); area and line layers
#: are replaced as a whole (a redrawn grid map supersedes the old one).
DEFAULT_MODE: dict[str, Mode] = {
    "incidents": "append",
    "sites": "append",
    "posts": "append",
    "grids": "replace",
    "streets": "replace",
    "buildings": "replace",
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
    data = result.data
    if mode == "append" and layer in store.layers():
        current = store.read(layer)
        data = gpd.GeoDataFrame(
            pd.concat([current, result.data], ignore_index=True), crs=current.crs
        )
    note = message or (
        f"import {len(result.data)} rows ({mode})"
        + (f", {len(result.rejected)} rejected" if len(result.rejected) else "")
    )
    return store.write(layer, data, author=author, message=note)
