"""The sample's synthetic incidents: a seeded model of categories, places and times.

Part of :mod:`gridmap.sample` (which re-exports :func:`generate_incidents`): incidents
are drawn around attractors (bars, transit, shops, homes, roads) with the daily and
weekly rhythms of :data:`CATEGORY_MODELS`, and :data:`EMERGING` hot spots grow towards
:data:`PERIOD_END`.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmap.schema import CATEGORIES

#: The 12 months of synthetic incidents end here (exclusive).
PERIOD_END = pd.Timestamp("2026-11-01 00:00:00")
N_INCIDENTS = 24_000


@dataclass(frozen=True)
class CategoryModel:
    """How one incident category is generated: how many, where, when."""

    share: float  # of all incidents
    attractors: str  # which point set draws them: nightlife, transit, shops, homes, roads
    sigma_m: float  # spatial spread around an attractor
    hour_peaks: tuple[tuple[float, float, float], ...]  # (hour, width h, weight)
    weekend_factor: float  # Saturday/Sunday intensity relative to weekdays
    source: str


#: The generator's model. Shares and daily rhythms follow the usual patterns reported for
#: urban police calls (night-time violence around bars, day-time theft at transit and shops,
#: evening disputes and noise at home) and 12345 hotline requests (office hours).
CATEGORY_MODELS: dict[str, CategoryModel] = {
    "theft": CategoryModel(0.20, "transit+shops", 35, ((12, 3, 1), (17.5, 2, 1.2)), 1.2, "110"),
    "fraud": CategoryModel(0.07, "shops", 60, ((11, 3, 1), (15, 3, 1)), 0.7, "110"),
    "fight": CategoryModel(0.08, "nightlife", 30, ((1, 2, 1.5), (23, 2, 1)), 2.2, "110"),
    "dispute": CategoryModel(0.13, "homes", 40, ((19, 3, 1),), 1.3, "网格员"),
    "noise": CategoryModel(0.10, "nightlife+homes", 40, ((23.5, 2, 1),), 1.8, "110"),
    "traffic": CategoryModel(0.09, "roads", 5, ((8.5, 1.5, 1), (17.5, 1.5, 1.2)), 0.7, "122"),
    "request-complaint": CategoryModel(
        0.20, "homes", 50, ((10, 2.5, 1), (15, 2.5, 1)), 0.4, "12345"
    ),
    "request-consultation": CategoryModel(
        0.13, "homes", 50, ((10, 2, 1), (14.5, 2.5, 1)), 0.3, "12345"
    ),
}

#: Emerging hot spots: (category, attractor kind, growth factor reached in the last month,
#: months over which it ramps up). They make "where is it getting worse" visible.
EMERGING: list[tuple[str, str, float, int]] = [
    ("theft", "transit", 4.0, 3),
    ("fight", "nightlife", 3.5, 2),
    ("request-complaint", "homes", 3.0, 3),
]
EMERGING_SHARE = 0.035  # of all incidents, per emerging hot spot


def _hour_weights(peaks: tuple[tuple[float, float, float], ...]) -> np.ndarray:
    hours = np.arange(24) + 0.5
    weights = np.full(24, 0.05)
    for centre, width, weight in peaks:
        delta = np.minimum(np.abs(hours - centre), 24 - np.abs(hours - centre))
        weights += weight * np.exp(-0.5 * (delta / width) ** 2)
    return weights / weights.sum()


def _sample_times(
    rng: np.random.Generator, n: int, model: CategoryModel, *, ramp: tuple[float, int] | None = None
) -> pd.DatetimeIndex:
    start = PERIOD_END - pd.DateOffset(months=12)
    days = pd.date_range(start, PERIOD_END - pd.Timedelta(days=1), freq="D")
    weekday = days.day_of_week.to_numpy()
    day_w = np.where(weekday >= 5, model.weekend_factor, 1.0)
    # Mild seasonality: more outdoor incidents in the light summer months.
    day_w = day_w * (1.0 + 0.25 * np.sin((days.day_of_year.to_numpy() - 100) / 365.0 * 2 * np.pi))
    if ramp is not None:
        growth, months = ramp
        ramp_start = PERIOD_END - pd.DateOffset(months=months)
        t = np.clip((days - ramp_start) / (PERIOD_END - ramp_start), 0, 1)
        day_w = np.where(days >= ramp_start, 1.0 + (growth - 1.0) * np.asarray(t), 0.15)
    day = rng.choice(len(days), size=n, p=day_w / day_w.sum())
    hour = rng.choice(24, size=n, p=_hour_weights(model.hour_peaks))
    seconds = rng.integers(0, 3600, size=n)
    offsets = hour.astype("int64") * 3600 + seconds
    return pd.DatetimeIndex(days[day]) + pd.to_timedelta(offsets, unit="s")


def generate_incidents(
    *,
    attractors: dict[str, np.ndarray],
    area: shapely.Geometry,
    metric_crs,  # type: ignore[no-untyped-def]
    n: int = N_INCIDENTS,
    seed: int,
) -> gpd.GeoDataFrame:
    """Generate `n` synthetic incidents over 12 months ending at :data:`PERIOD_END`.

    Each category draws points around its attractors (Gaussian spread `sigma_m`, kept
    inside `area`), times from a day profile (weekday/weekend, season) and an hour-of-day
    profile, per :data:`CATEGORY_MODELS`; :data:`EMERGING` adds hot spots that grow over
    the last months. Citizen requests get a status and handling time.
    """
    rng = np.random.default_rng(seed)
    frames = []
    n_emerging = int(n * EMERGING_SHARE)
    n_regular = n - n_emerging * len(EMERGING)
    shares = np.array([m.share for m in CATEGORY_MODELS.values()])
    counts = rng.multinomial(n_regular, shares / shares.sum())

    def points_near(pool: np.ndarray, count: int, sigma: float) -> np.ndarray:
        out = np.empty((0, 2))
        while len(out) < count:
            need = (count - len(out)) * 2 + 16
            base = pool[rng.integers(0, len(pool), need)]
            xy = base + rng.normal(0.0, sigma, (need, 2))
            inside = shapely.contains_xy(area, xy[:, 0], xy[:, 1])
            out = np.vstack([out, xy[inside]])
        return out[:count]

    def pool_for(spec: str) -> np.ndarray:
        return np.vstack([attractors[name] for name in spec.split("+")])

    for (key, model), count in zip(CATEGORY_MODELS.items(), counts, strict=True):
        frames.append(
            (
                key,
                model,
                points_near(pool_for(model.attractors), count, model.sigma_m),
                _sample_times(rng, count, model),
            )
        )
    for key, kind, growth, months in EMERGING:
        model = CATEGORY_MODELS[key]
        pool = attractors[kind]
        centre = pool[rng.integers(0, len(pool))][None, :]
        frames.append(
            (
                key,
                model,
                points_near(centre, n_emerging, 45.0),
                _sample_times(rng, n_emerging, model, ramp=(growth, months)),
            )
        )

    keys = np.concatenate([np.full(len(xy), key, dtype=object) for key, _, xy, _ in frames])
    xy = np.vstack([xy for _, _, xy, _ in frames])
    occurred = pd.DatetimeIndex(np.concatenate([t.to_numpy() for *_, t in frames]))
    sources = np.concatenate([np.full(len(xy_), m.source, dtype=object) for _, m, xy_, _ in frames])
    order = np.argsort(occurred.to_numpy(), kind="stable")
    keys, xy, occurred, sources = keys[order], xy[order], occurred[order], sources[order]

    is_request = np.char.startswith(keys.astype(str), "request")
    hours_to_handle = rng.lognormal(mean=np.log(20), sigma=0.9, size=len(keys))
    handled = occurred + pd.to_timedelta(np.round(hours_to_handle * 3600), unit="s")
    status = np.where(handled < PERIOD_END, "已办结 closed", "处理中 in progress")
    status = np.where(is_request, status, "已处警 dispatched")
    labels = np.array([CATEGORIES[k].zh for k in keys], dtype=object)
    frame = gpd.GeoDataFrame(
        {
            "incident_id": [f"SYN-{i + 1:06d}" for i in range(len(keys))],
            "category": pd.array(keys.astype(str), dtype="string"),
            "occurred_at": occurred.astype("datetime64[ms]"),
            "source": pd.array(sources.astype(str), dtype="string"),
            "status": pd.array(status.astype(str), dtype="string"),
            "handled_at": pd.Series(handled.astype("datetime64[ms]")).where(
                is_request & (handled < PERIOD_END)
            ),
            "description": pd.array(
                [f"合成样例 synthetic: {label}" for label in labels], dtype="string"
            ),
            "synthetic": np.ones(len(keys), dtype=bool),
        },
        geometry=shapely.points(xy),
        crs=metric_crs,
    )
    return frame.to_crs(4326)
