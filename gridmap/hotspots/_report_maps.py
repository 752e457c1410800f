"""The weekly report's PNG maps, drawn offline with matplotlib from the workspace's layers.

The overview colours each grid by its incidents this week in whole-number classes
(:func:`gridmap.maps.class_breaks`, the same classes as the app's choropleths; one class
per value when there are only a few values), with a discrete legend: a count is never
shown as 1.25. Each map fills its figure exactly: the extent is widened to the figure's
aspect so the map is neither cut off nor left with blank space beside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from gridmap.hotspots.filters import _metric_crs
from gridmap.hotspots.temporal import _font_context, chart_fonts
from gridmap.maps import class_breaks

__all__ = ["count_classes", "draw_maps"]

_LEVEL_COLOURS = {"red": "#d7191c", "orange": "#fd8d3c", "yellow": "#fecc5c"}
_MAX_CLASSES = 5  # as the app's choropleths (maps.add_choropleth bins)
_WIDTH = 8.0  # inches of map; the legend and title are added beside it
_ASPECT = (0.5, 1.6)  # height / width limits of a map figure


def draw_maps(
    incidents: gpd.GeoDataFrame,
    grids: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame | None,
    warnings: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    lang: str,
    top: int,
    folder: Path,
    *,
    titles: tuple[str, str],
    credit: str | None,
) -> list[Path]:
    """Draw ``overview.png`` and ``warning_<rank>.png`` for the `top` warnings in `folder`.

    `incidents` carry their ``grid_code``; `titles` are the overview's title and its
    legend's title (in the language the charts can be drawn in, see
    :func:`~gridmap.hotspots.temporal.chart_fonts`). Distances are metres of the grids'
    metric CRS.
    """
    crs = _metric_crs(grids, "grids")
    grids_m = grids.to_crs(crs)
    streets_m = streets.to_crs(crs) if streets is not None and len(streets) else None
    occurred = incidents["occurred_at"]
    week = incidents[((occurred > start) & (occurred <= end)).to_numpy()]
    week_m = week.to_crs(crs)
    counts = week["grid_code"].value_counts()
    grids_m["incidents"] = grids_m["grid_code"].map(counts).fillna(0).astype(int).to_numpy()
    chart_lang, families = chart_fonts(lang)
    paths = []

    fig = _map_figure(
        grids_m,
        streets_m,
        grids_m.total_bounds,
        families,
        title=titles[0],
        legend_title=titles[1],
        choropleth=True,
        credit=credit,
    )
    paths.append(_save(fig, folder / "overview.png"))
    for rank, row in enumerate(warnings.head(top).itertuples(), start=1):
        target = grids_m[grids_m["grid_code"] == row.grid_code]
        bounds = target.total_bounds
        pad = max(150.0, 0.3 * max(bounds[2] - bounds[0], bounds[3] - bounds[1]))
        bounds = bounds + np.array([-pad, -pad, pad, pad])
        points = week_m[
            (week_m["grid_code"] == row.grid_code) & (week_m["category"] == row.category)
        ]
        reason = row.reason_zh if chart_lang == "zh" else row.reason_en
        name = grids_m.loc[target.index, "name"].iloc[0] if "name" in grids_m else row.grid_code
        fig = _map_figure(
            grids_m,
            streets_m,
            bounds,
            families,
            title=f"{name} · {reason}",
            highlight=target,
            colour=_LEVEL_COLOURS.get(row.level, "#d7191c"),
            points=points,
            credit=credit,
        )
        paths.append(_save(fig, folder / f"warning_{rank}.png"))
    return paths


def count_classes(counts: Any) -> tuple[np.ndarray, list[str]]:
    """Whole-number classes of incident counts: each count's class and the class labels.

    With at most five distinct counts each is a class of its own ("0", "2", "3");
    otherwise the classes are :func:`gridmap.maps.class_breaks` quantiles with whole-number
    edges, labelled "low – high" where high is the next class's low minus 1 (only the last
    includes its top), as the app's choropleth legends read.

    >>> count_classes([0, 3, 3, 1])
    (array([0, 2, 2, 1]), ['0', '1', '3'])
    """
    values = np.asarray(counts, dtype=float)
    distinct = np.unique(values)
    if len(distinct) <= _MAX_CLASSES:
        return np.searchsorted(distinct, values), [f"{v:.0f}" for v in distinct]
    edges = class_breaks(values, bins=_MAX_CLASSES, scheme="quantiles")
    k = len(edges) - 1
    classes = np.clip(np.searchsorted(edges[1:-1], values, side="right"), 0, k - 1)
    tops = [edges[i + 1] - 1 if i < k - 1 else edges[i + 1] for i in range(k)]
    labels = [
        f"{edges[i]:.0f}" if edges[i] == tops[i] else f"{edges[i]:.0f} – {tops[i]:.0f}"
        for i in range(k)
    ]
    return classes, labels


def _fitted(bounds: np.ndarray) -> tuple[np.ndarray, float]:
    """`bounds` padded by 3 % and widened to a height/width ratio within ``_ASPECT``."""
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    width, height = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    pad = 0.03 * max(width, height)
    width, height = width + 2 * pad, height + 2 * pad
    ratio = float(np.clip(height / width, *_ASPECT))
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    width, height = max(width, height / ratio), max(height, width * ratio)
    return np.array([cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2]), ratio


def _map_figure(
    grids: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame | None,
    bounds: np.ndarray,
    families: list[str],
    *,
    title: str,
    legend_title: str = "",
    choropleth: bool = False,
    highlight: gpd.GeoDataFrame | None = None,
    colour: str = "#d7191c",
    points: gpd.GeoDataFrame | None = None,
    credit: str | None = None,
) -> Figure:
    (minx, miny, maxx, maxy), ratio = _fitted(bounds)
    fig = Figure(figsize=(_WIDTH, _WIDTH * ratio))
    with _font_context(families):
        # The map fills the figure; the title and legend sit outside it and
        # bbox_inches="tight" takes them in, so no blank band is left anywhere.
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
        if choropleth:
            classes, labels = count_classes(grids["incidents"])
            cmap = colormaps["YlOrRd"]
            shades = np.linspace(0.15, 0.95, len(labels)) if len(labels) > 1 else [0.6]
            palette = np.array([to_hex(cmap(s)) for s in shades], dtype=object)
            grids.plot(ax=ax, color=palette[classes], edgecolor="#555555", linewidth=0.6)
            handles = [
                Patch(facecolor=c, edgecolor="#555555", label=label)
                for c, label in zip(palette, labels, strict=True)
            ]
            legend = ax.legend(
                handles=handles,
                title=legend_title,
                loc="upper left",
                bbox_to_anchor=(1.01, 1.0),
                frameon=False,
                fontsize=9,
                title_fontsize=9,
            )
            for text in [legend.get_title(), *legend.get_texts()]:
                text.set_parse_math(False)
        else:
            grids.boundary.plot(ax=ax, color="#777777", linewidth=0.6)
        if streets is not None:
            near = streets.cx[minx:maxx, miny:maxy]
            if len(near):
                near.plot(ax=ax, color="#9a9a9a", linewidth=0.5, zorder=2)
        if highlight is not None:
            highlight.plot(
                ax=ax, facecolor=colour, alpha=0.35, edgecolor=colour, linewidth=2, zorder=3
            )
        if points is not None and len(points):
            points.plot(ax=ax, color="#222222", markersize=12, zorder=4)
        ax.set_xlim(minx, maxx)
        ax.set_ylim(miny, maxy)
        ax.set_aspect("equal", adjustable="box")
        ax.set_axis_off()
        # user text (grid names, credits) is drawn as written: "$" is no mathtext
        ax.set_title(title, fontsize=11, parse_math=False)
        if credit:
            fig.text(
                0.005,
                0.005,
                credit,
                fontsize=7,
                color="#555555",
                parse_math=False,
                bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1},
            )
    return fig


def _save(fig: Figure, path: Path) -> Path:
    fig.savefig(path, dpi=110, bbox_inches="tight", pad_inches=0.05, facecolor="white")
    return path
