"""``gridmap synthetic-tracks``: the sample's synthetic week of GPS tracks, as a CSV file."""

from __future__ import annotations

import argparse
from typing import Any


def add_commands(sub: Any) -> None:
    """Add ``synthetic-tracks`` to the ``gridmap`` command's subparsers `sub`."""
    p = sub.add_parser(
        "synthetic-tracks",
        help="write a seeded synthetic week of GPS tracks along the workspace's streets (CSV)",
    )
    p.add_argument("--out", "-o", required=True, help="CSV file to write (time, lon, lat, unit)")
    p.add_argument("--units", type=int, default=2, help="patrol units (default 2)")
    p.add_argument("--days", type=int, default=7, help="days (default 7)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.set_defaults(func=_cmd_synthetic_tracks)


def _cmd_synthetic_tracks(args: argparse.Namespace) -> int:
    from gridmap.cli import _store
    from gridmap.io import write_csv
    from gridmap.patrol.tracks import workspace_synthetic_week

    week = workspace_synthetic_week(_store(args), units=args.units, days=args.days, seed=args.seed)
    table = week.assign(lon=week.geometry.x, lat=week.geometry.y)[
        ["time", "lon", "lat", "unit", "synthetic"]
    ]
    path = write_csv(table, args.out)
    print(f"{len(table)} synthetic fixes of {table['unit'].nunique()} units written to {path}")
    return 0
