"""What the office acts on: early warnings (8), citizen requests (10), the weekly report
(11) and the hand-off to patrol (12)."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from gridmap import maps
from gridmap.hotspots import (
    filters,
    forecast,
    requests,
    warnings,
)
from gridmap.hotspots.handoff import hotspot_features
from gridmap.hotspots.views._base import (
    LEVEL_COLOURS,
    Selection,
    StreetOffice,
    _area_grids,
    _base_map,
    _grid_tips,
    _highlight,
    _note,
    select,
)
from gridmap.hotspots.views._places import emerging, gi_hotspots
from gridmap.i18n import t

# ---------------------------------------------------------------------------------------
# (8) early warnings and (10) citizen requests


def warning_list(office: StreetOffice, selection: Selection) -> pd.DataFrame:
    """Early warnings (:func:`~gridmap.hotspots.warnings.early_warnings`) for the last
    window of the span against the 8 windows before it, per category."""
    if office.grids is None:
        return pd.DataFrame()
    chosen = select(
        office, selection, history_days=max(filters.BASELINE_DAYS - selection.days, 0) + 1
    )
    return warnings.early_warnings(chosen, now=selection.end, grids=office.grids)


def warnings_table(table: pd.DataFrame, office: StreetOffice, *, lang: str) -> pd.DataFrame:
    """The warnings with level, grid name and reason in `lang`."""
    if not len(table):
        return pd.DataFrame()
    names = {}
    if office.grids is not None and "name" in office.grids:
        names = dict(zip(office.grids["grid_code"].astype(str), office.grids["name"], strict=True))
    return pd.DataFrame(
        {
            t("hs_col_level", lang): [
                warnings.LEVEL_LABELS[str(v)][0 if lang == "zh" else 1] for v in table["level"]
            ],
            t("hs_col_grid_code", lang): table["grid_code"].astype(str).to_numpy(),
            t("hs_col_name", lang): [names.get(str(c), "") for c in table["grid_code"]],
            t("hs_col_reason", lang): table["reason_zh" if lang == "zh" else "reason_en"],
            t("hs_col_observed", lang): table["observed"].to_numpy(),
            t("hs_col_expected", lang): table["expected"].round(1).to_numpy(),
        }
    )


def warnings_map(
    table: pd.DataFrame,
    office: StreetOffice,
    selection: Selection,
    *,
    lang: str,
    highlight: str | None = None,
    **basemap: Any,
) -> maps.OfflineMap:
    """Grids with warnings filled in their (most severe) level's colour."""
    grids = _area_grids(office, selection)
    m = _base_map(office, lang=lang, area=grids, **basemap)
    if grids is not None and len(table):
        order = {"red": 0, "orange": 1, "yellow": 2}
        worst = (
            table.assign(rank=table["level"].map(order))
            .sort_values("rank")
            .drop_duplicates("grid_code")
            .set_index("grid_code")
        )
        reasons = table.groupby("grid_code")["reason_zh" if lang == "zh" else "reason_en"].agg(
            lambda r: "; ".join(map(str, r))
        )
        warned = grids[grids["grid_code"].astype(str).isin(worst.index).to_numpy()]
        codes = warned["grid_code"].astype(str)
        maps.add_styled_features(
            m,
            warned,
            fill=[LEVEL_COLOURS[worst.loc[c, "level"]] for c in codes],
            line="#7f0000",
            weight=2,
            fill_opacity=0.6,
            tips=_grid_tips(warned, lang, [(t("hs_col_reason", lang), list(reasons.loc[codes]))]),
            keys=codes,
            name=t("hs_warnings_layer", lang),
        )
        maps.add_legend(
            m,
            title=t("hs_warnings_layer", lang),
            entries=[
                (LEVEL_COLOURS[k], warnings.LEVEL_LABELS[k][0 if lang == "zh" else 1])
                for k in ("red", "orange", "yellow")
            ],
            note=_note(office, lang),
        )
    _highlight(m, grids, highlight, lang)
    maps.layer_control(m)
    return m


@dataclass(frozen=True)
class RequestDeadlines:
    by_grid: pd.DataFrame
    overdue: pd.DataFrame
    requests: int
    extra: dict[str, Any] = field(default_factory=dict)


def request_deadlines(office: StreetOffice, selection: Selection) -> RequestDeadlines:
    """Citizen requests received in the span, judged as of its end
    (:func:`~gridmap.hotspots.requests.request_sla`, ``sla_by_grid``, ``overdue_requests``)."""
    chosen = select(office, selection)
    table = requests.request_sla(chosen, as_of=selection.end, grids=office.grids)
    return RequestDeadlines(
        requests.sla_by_grid(table), requests.overdue_requests(table), len(table)
    )


def sla_table(result: RequestDeadlines, office: StreetOffice, *, lang: str) -> pd.DataFrame:
    """Rates per grid with headers in `lang` (rates in %)."""
    table = result.by_grid.copy()
    for column in ("closure_rate", "on_time_rate", "callback_rate"):
        table[column] = table[column] * 100.0
    columns = {
        "grid_code": t("hs_col_grid_code", lang),
        "requests": t("hs_col_requests", lang),
        "closed": t("hs_col_closed", lang),
        "closure_rate": t("hs_col_closure_rate", lang),
        "on_time_rate": t("hs_col_on_time_rate", lang),
        "overdue": t("hs_col_overdue", lang),
        "callback_rate": t("hs_col_callback_rate", lang),
    }
    return table.reset_index()[list(columns)].rename(columns=columns)


def overdue_table(result: RequestDeadlines, office: StreetOffice, *, lang: str) -> pd.DataFrame:
    """The overdue requests, longest first, with headers in `lang`."""
    overdue = result.overdue
    if not len(overdue):
        return pd.DataFrame()
    incidents = office.incidents.loc[overdue.index]
    return pd.DataFrame(
        {
            t("hs_col_incident", lang): incidents["incident_id"].astype(str).to_numpy(),
            t("hs_col_grid_code", lang): overdue.get("grid_code", pd.Series(index=overdue.index))
            .astype(str)
            .to_numpy(),
            t("hs_col_category", lang): [
                warnings.category_label(c, lang) for c in incidents["category"]
            ],
            t("hs_col_received", lang): overdue["received_at"].to_numpy(),
            t("hs_col_deadline", lang): overdue["deadline"].to_numpy(),
            t("hs_col_hours_overdue", lang): overdue["hours_overdue"].round(1).to_numpy(),
        }
    )


def requests_map(
    result: RequestDeadlines,
    office: StreetOffice,
    selection: Selection,
    *,
    lang: str,
    **basemap: Any,
) -> maps.OfflineMap:
    """Grids coloured by overdue requests; overdue requests as red points."""
    grids = _area_grids(office, selection)
    m = _base_map(office, lang=lang, area=grids, outlines=False, **basemap)
    if grids is not None and len(grids):
        by_grid = result.by_grid.reindex(grids["grid_code"].astype(str))
        shown = grids.assign(
            overdue=by_grid["overdue"].fillna(0).to_numpy(),
            requests=by_grid["requests"].fillna(0).to_numpy(),
            on_time=(by_grid["on_time_rate"] * 100).round(0).to_numpy(),
        )
        maps.add_choropleth(
            m,
            shown,
            value_column="overdue",
            title=t("hs_col_overdue", lang),
            label_column="name" if "name" in shown else None,
            tooltip_columns={
                "requests": t("hs_col_requests", lang),
                "on_time": t("hs_col_on_time_rate", lang),
            },
            id_column="grid_code",
            name=t("grid", lang),
            note=_note(office, lang),
        )
    if len(result.overdue):
        points = office.incidents.loc[result.overdue.index].head(maps.MAX_BROWSER_FEATURES)
        points = points.assign(
            hours=result.overdue["hours_overdue"].round(1).to_numpy()[: len(points)],
            label=[warnings.category_label(c, lang) for c in points["category"]],
        )
        maps.add_points(
            m,
            points[["label", "hours", "geometry"]],
            label_column="label",
            color="#d7191c",
            radius=5,
            tooltip_columns={"hours": t("hs_col_hours_overdue", lang)},
            name=t("hs_overdue_layer", lang),
        )
    maps.layer_control(m)
    return m


# ---------------------------------------------------------------------------------------
# (11) weekly report and (12) the hand-off


def report_source(office: StreetOffice, selection: Selection) -> dict[str, Any]:
    """The layers :func:`~gridmap.hotspots.report.weekly_report` reads, filtered like the
    page except for the span (the report takes its weeks and baseline itself)."""
    chosen = filters.filter_incidents(
        office.incidents,
        **{**selection.options(), "start": None, "end": None},
        grids=office.grids,
        locator=office.locator,
    )
    grids = _area_grids(office, selection)
    if grids is not None and chosen.crs is not None and chosen.crs != grids.crs:
        chosen = chosen.to_crs(grids.crs)  # the report places points in the grids' CRS
    source = {"incidents": chosen, "grids": grids}
    if office.streets is not None:
        source["streets"] = office.streets
    return source


def report_zip(workbook: Any) -> bytes:
    """The workbook and its ``<stem>_maps/`` PNGs as one zip, for a download button."""
    import zipfile
    from pathlib import Path

    path = Path(workbook)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(path, path.name)
        folder = path.with_name(f"{path.stem}_maps")
        for png in sorted(folder.glob("*.png")) if folder.is_dir() else []:
            archive.write(png, f"{folder.name}/{png.name}")
    return buffer.getvalue()


def handoff_features(
    office: StreetOffice,
    selection: Selection,
    *,
    cell_size: float | None = None,
    shape: str = "square",
    include_emerging: bool = True,
) -> gpd.GeoDataFrame:
    """The ``hotspots`` layer for the selection: Gi* hot cells, emerging hot spots and
    warning grids (:func:`gridmap.hotspots.handoff.hotspot_features`)."""
    if selection.nothing_chosen():
        return hotspot_features(period=selection.period)
    gi = gi_hotspots(office, selection, cell_size=cell_size, shape=shape)
    trend = (
        emerging(office, selection, cell_size=gi.cell_size if gi else cell_size, shape=shape)
        if include_emerging
        else None
    )
    category = (
        selection.categories[0]
        if selection.categories is not None and len(selection.categories) == 1
        else "all"
    )
    return hotspot_features(
        period=selection.period,
        category=category,
        gi_cells=gi.cells if gi else None,
        emerging=trend.cells if trend else None,
        warnings=warning_list(office, selection),
        grids=office.grids,
    )


def forecast_figures(accuracy: forecast.ForecastAccuracy | None) -> Mapping[str, float]:
    """Mean PAI and hit rate (NaN when not computed)."""
    if accuracy is None:
        return {"pai": math.nan, "hit_rate": math.nan, "weeks": 0}
    return {
        "pai": float(accuracy.pai),
        "hit_rate": float(accuracy.hit_rate),
        "weeks": len(accuracy.weekly),
    }
