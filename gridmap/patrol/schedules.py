"""Randomised patrol schedules for a shift or a week, and how predictable they are.

A fixed route at fixed times teaches offenders when the police are away. Here every shift
gets its own order and times (seeded: the same seed gives the same week), stops are visited
in proportion to their risk, each dwell is drawn inside the Koper window (10-15 min), and —
when asked — every hot spot is visited at least once every `max_gap` (e.g. 2 hours).

Method: a randomised greedy walk. At each step the unit may go to any stop after which all
hot spots can still be reached before their deadlines in earliest-deadline-first order
(with the longest dwell, so the check is conservative); among those it draws one with
probability proportional to its shortfall against a risk-proportional share of the visits
so far (plus a little for every stop), which keeps visit counts close to proportional to
risk while the order stays random. The schedule is checked at the end and a gap that could
not be kept is an error, not a silent miss.

Predictability (:func:`predictability`): per stop the Shannon entropy of its visit times
(bins of 30 min over the shift), normalised to [0, 1] by the largest entropy its number of
visits allows; the schedule's score is 1 minus the visit-weighted mean: 0 = as unpredictable
as possible, 1 = always at the same time.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from gridmap._errors import ValidationError
from gridmap.i18n import Message
from gridmap.patrol.routing import KOPER_WINDOW, SHIFT

#: Visit every hot spot at least this often when `max_gap` is asked for: 2 hours (the
#: street office's hand-off asks for "每2小时至少巡查一次").
MAX_GAP = 2 * 3600


def _stops_frame(stops: pd.DataFrame, n: int) -> pd.DataFrame:
    if not isinstance(stops, pd.DataFrame) or not {"stop", "node"} <= set(stops.columns):
        msg = "`stops` must be a DataFrame with columns `stop`, `node` and optional `risk`"
        raise ValidationError(msg)
    out = stops.reset_index(drop=True).copy()
    out["risk"] = pd.to_numeric(out["risk"], errors="coerce") if "risk" in out else 1.0
    if out["risk"].isna().any() or (out["risk"] <= 0).any():
        msg = "`stops`: `risk` must be a positive number for every stop"
        raise ValidationError(msg)
    if "hotspot" not in out:
        out["hotspot"] = True
    nodes = out["node"].to_numpy(np.int64)
    if len(nodes) == 0 or nodes.min() < 0 or nodes.max() >= n:
        msg = f"`stops`: `node` must be rows of the {n}-row travel-time matrix (and not empty)"
        raise ValidationError(msg)
    return out


def randomised_shift(
    times: npt.ArrayLike,
    stops: pd.DataFrame,
    post: int,
    *,
    shift: float = SHIFT,
    dwell: tuple[float, float] = KOPER_WINDOW,
    max_gap: float | None = None,
    seed: int | np.random.Generator = 0,
) -> pd.DataFrame:
    """One shift's randomised visits for a unit starting and ending at `post`.

    Parameters
    ----------
    times : travel-time matrix, seconds.
    stops : ``stop``, ``node`` (matrix row), optional ``risk`` (> 0, default 1: visits are
        proportional to it) and ``hotspot`` (bool: bound by `max_gap`; default all).
    post : matrix row of the unit's post.
    shift : seconds.
    dwell : ``(shortest, longest)`` dwell, seconds (default the Koper window, 10-15 min).
    max_gap : if given, every hot spot is visited (dwell started) within `max_gap` seconds
        of the shift start, of its previous visit, and of the shift end.
    seed : an int or a numpy Generator.

    Returns
    -------
    DataFrame with one row per visit: ``visit`` (1, 2, …), ``stop``, ``node``, ``arrive``,
    ``leave`` (seconds from the shift start; the dwell starts on arrival), ``dwell``.

    Raises
    ------
    ValidationError
        When `max_gap` cannot be kept (too many hot spots, too far apart for one unit).
    """
    tt = np.asarray(times, float)
    st = _stops_frame(stops, tt.shape[0])
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    lo, hi = float(dwell[0]), float(dwell[1])
    if not 0 <= lo <= hi:
        msg = (
            f"`dwell` must be (shortest, longest) seconds, 0 <= shortest <= longest; got {dwell!r}"
        )
        raise ValidationError(msg)
    node = st["node"].to_numpy(np.int64)
    risk = st["risk"].to_numpy(float)
    bound = st["hotspot"].to_numpy(bool) & (max_gap is not None)
    gap = float(max_gap) if max_gap is not None else np.inf
    deadline = np.where(bound, gap, np.inf)
    visits = np.zeros(len(st), int)
    rows = []
    now, here, last = 0.0, post, -1

    latest = shift - hi - tt[node, post]  # the last start of a dwell that gets home in time

    def can_keep(c: int, leave: float, start: float) -> bool:
        """After visiting c (dwell from start to leave), can every deadline still be met?"""
        due = deadline.copy()
        if bound[c]:
            due[c] = start + gap
        # a visit that is still owed must also leave time to walk home by the shift end
        due = np.where(due < shift, np.minimum(due, latest), due)
        order = [j for j in np.argsort(due) if due[j] < shift]
        t, at = leave, node[c]
        for j in order:
            arrive = t + tt[at, node[j]]
            if arrive > due[j]:
                return False
            t, at = arrive + hi, node[j]
        return bool(t + tt[at, post] <= shift)

    while True:
        arrive = now + tt[here, node]
        stay = rng.uniform(lo, hi)
        fits = arrive + stay + tt[node, post] <= shift
        allowed = np.flatnonzero(fits)
        allowed = np.array(
            [
                c
                for c in allowed
                if (c != last or len(st) == 1) and can_keep(c, arrive[c] + stay, arrive[c])
            ],
            dtype=int,
        )
        if len(allowed) == 0:
            urgent = np.flatnonzero(fits & (deadline < shift))
            if len(urgent) == 0:
                break
            allowed = urgent[[np.argmin(deadline[urgent])]]
        # the shortfall against a risk-proportional share of the visits so far (plus a
        # little for every stop, so the choice stays random)
        share = risk / risk.sum()
        weight = np.maximum(share[allowed] * (visits.sum() + 1) - visits[allowed], 0)
        weight = weight + 0.1 * share[allowed]
        c = int(rng.choice(allowed, p=weight / weight.sum()))
        start = float(arrive[c])
        rows.append(
            {
                "stop": st["stop"].iloc[c],
                "node": int(node[c]),
                "arrive": start,
                "leave": start + stay,
                "dwell": stay,
            }
        )
        visits[c] += 1
        if bound[c]:
            deadline[c] = start + gap
        now, here, last = start + stay, int(node[c]), c
    out = pd.DataFrame(rows, columns=["stop", "node", "arrive", "leave", "dwell"])
    out.insert(0, "visit", np.arange(1, len(out) + 1))
    if max_gap is not None:
        problems = _gaps(out, st.loc[st["hotspot"], "stop"], shift=shift, max_gap=gap)
        if problems:
            stop, worst = problems[0]
            msg = Message(
                "schedule_gap_unkept",
                gap=f"{gap / 60:.0f}",
                post=post,
                n=int(bound.sum()),
                shift=f"{shift / 60:.0f}",
                stop=stop,
                wait=f"{worst / 60:.0f}",
            )
            raise ValidationError(msg)
    return out


def schedule_gaps(
    visits: pd.DataFrame, hotspots: object, *, shift: float, max_gap: float
) -> list[str]:
    """Where a shift's `visits` leave a hot spot unvisited longer than `max_gap` (text)."""
    return [
        f"stop {stop!r} waits {worst / 60:.0f} min between visits"
        for stop, worst in _gaps(visits, hotspots, shift=shift, max_gap=max_gap)
    ]


def _gaps(
    visits: pd.DataFrame, hotspots: object, *, shift: float, max_gap: float
) -> list[tuple[str, float]]:
    """(stop, longest wait in seconds) of the hot spots left longer than `max_gap`."""
    problems = []
    for stop in pd.unique(pd.Series(list(hotspots))):
        t = np.sort(visits.loc[visits["stop"] == stop, "arrive"].to_numpy(float))
        edges = np.concatenate([[0.0], t, [shift]])
        worst = float(np.diff(edges).max())
        if worst > max_gap + 1e-6:
            problems.append((str(stop), worst))
    return problems


def randomised_week(
    times: npt.ArrayLike,
    stops: pd.DataFrame,
    post: int,
    *,
    days: int = 7,
    seed: int = 0,
    **options: object,
) -> pd.DataFrame:
    """`days` randomised shifts (a ``day`` column, 0-based), each from its own seeded stream.

    Options are those of :func:`randomised_shift`. Day `d` of seed `s` is the same whatever
    `days` is, so a week can be extended without changing its start.
    """
    frames = []
    for day in range(days):
        rng = np.random.default_rng([seed, day])
        frames.append(randomised_shift(times, stops, post, seed=rng, **options).assign(day=day))  # type: ignore[arg-type]
    out = pd.concat(frames, ignore_index=True)
    return out[["day", *[c for c in out.columns if c != "day"]]]


def predictability(
    visits: pd.DataFrame, *, shift: float = SHIFT, bin_minutes: float = 30
) -> tuple[float, pd.DataFrame]:
    """How predictable the visit times of a schedule are.

    Parameters
    ----------
    visits : rows with ``stop`` and ``arrive`` (seconds from the shift start), e.g. a week.
    shift : seconds (the range of times).
    bin_minutes : width of the time bins.

    Returns
    -------
    (score, per_stop)
        ``score`` in [0, 1]: 1 - the visit-weighted mean normalised entropy (1: every visit
        to a stop at the same time of the shift; 0: spread as evenly as the count allows).
        ``per_stop``: ``stop``, ``visits``, ``entropy`` (normalised, [0, 1]).
    """
    nbins = max(int(np.ceil(shift / (bin_minutes * 60))), 1)
    rows = []
    for stop, group in visits.groupby("stop", sort=False):
        b = np.clip(
            (group["arrive"].to_numpy(float) // (bin_minutes * 60)).astype(int), 0, nbins - 1
        )
        counts = np.bincount(b, minlength=nbins)
        p = counts[counts > 0] / counts.sum()
        h = float(-(p * np.log(p)).sum())
        top = np.log(min(nbins, len(b)))
        rows.append({"stop": stop, "visits": len(b), "entropy": h / top if top > 0 else 0.0})
    per_stop = pd.DataFrame(rows, columns=["stop", "visits", "entropy"])
    if per_stop.empty:
        return 1.0, per_stop
    score = 1.0 - float(np.average(per_stop["entropy"], weights=per_stop["visits"]))
    # rounding error can leave a hair below 0 (printed "-0.0"); + 0.0 turns -0.0 into 0.0
    return float(np.clip(score, 0.0, 1.0)) + 0.0, per_stop
