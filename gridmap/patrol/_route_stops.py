"""The stops and units of a patrol plan: reading them, timetables, feasibility, repair.

Part of :mod:`gridmap.patrol.routing`: what every solver (PyVRP, LKH-3) shares about a
route: the timetable of an order of stops (waiting for windows), whether it keeps windows
and the shift, and the cheapest insertion of dropped stops afterwards.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from gridmap._errors import ValidationError
from gridmap.patrol._route_matrix import FloatArray

#: Columns of a route's timetable (:attr:`gridmap.patrol.routing.PatrolRoute.timetable`).
TIMETABLE_COLUMNS = ["order", "stop", "node", "arrive", "start", "leave", "wait", "dwell"]


@dataclass
class _Stops:
    ids: list[Hashable]
    node: npt.NDArray[np.int64]
    dwell: FloatArray
    priority: FloatArray  # NaN = required
    open: FloatArray
    close: FloatArray  # the dwell must end by close

    @property
    def required(self) -> npt.NDArray[np.bool_]:
        return np.isnan(self.priority)


def _read_stops(stops: pd.DataFrame, n: int, dwell: float, shift: float) -> _Stops:
    if not isinstance(stops, pd.DataFrame):
        msg = "`stops` must be a DataFrame with columns `stop` and `node`"
        raise ValidationError(msg)
    for col in ("stop", "node"):
        if col not in stops.columns:
            msg = f"`stops` needs a `{col}` column"
            raise ValidationError(msg)
    ids = list(stops["stop"])
    if len(set(ids)) != len(ids):
        msg = "`stops`: `stop` ids must be unique"
        raise ValidationError(msg)
    node = np.asarray(stops["node"], dtype=np.int64)
    if len(node) and (node.min() < 0 or node.max() >= n):
        msg = f"`stops`: `node` must be a row of the {n}-row travel-time matrix"
        raise ValidationError(msg)

    def column(name: str, default: float) -> FloatArray:
        if name not in stops.columns:
            return np.full(len(stops), default, float)
        return pd.to_numeric(stops[name], errors="coerce").to_numpy(float)

    dw = column("dwell", dwell)
    dw = np.where(np.isnan(dw), dwell, dw)
    if (dw < 0).any():
        msg = "`stops`: `dwell` must be non-negative seconds"
        raise ValidationError(msg)
    prio = column("priority", np.nan)
    if (prio[~np.isnan(prio)] < 0).any():
        msg = "`stops`: `priority` must be non-negative (empty for a required stop)"
        raise ValidationError(msg)
    op = column("open", 0.0)
    cl = column("close", shift)
    op = np.where(np.isnan(op), 0.0, op)
    cl = np.where(np.isnan(cl), shift, cl)
    bad = np.flatnonzero(cl - op < dw)
    if len(bad):
        i = bad[0]
        msg = (
            f"`stops`: the time window of stop {ids[i]!r} ({op[i] / 60:.0f}-{cl[i] / 60:.0f} min) "
            f"is shorter than its dwell of {dw[i] / 60:.0f} min"
        )
        raise ValidationError(msg)
    return _Stops(ids, node, dw, prio, op, cl)


def _read_units(units: pd.DataFrame, n: int) -> tuple[list[str], list[int], list[int]]:
    if not isinstance(units, pd.DataFrame) or "start" not in units.columns:
        msg = "`units` must be a DataFrame with a `start` column (and optional `unit`, `end`)"
        raise ValidationError(msg)
    if len(units) == 0:
        msg = "`units` is empty: at least one unit is needed"
        raise ValidationError(msg)
    names = (
        [str(u) for u in units["unit"]]
        if "unit" in units.columns
        else [f"U{i + 1}" for i in range(len(units))]
    )
    start = [int(s) for s in units["start"]]
    end = [int(e) for e in units["end"]] if "end" in units.columns else list(start)
    for s in (*start, *end):
        if not 0 <= s < n:
            msg = f"`units`: post node {s} is not a row of the {n}-row travel-time matrix"
            raise ValidationError(msg)
    return names, start, end


def _check_reachable(times: FloatArray, st: _Stops, start: list[int], end: list[int], shift: float):
    """Raise for required stops no unit can serve within windows and budget; list the others."""
    s, e = np.asarray(start), np.asarray(end)
    go = times[s][:, st.node]  # units × stops
    back = times[st.node][:, e].T  # units × stops
    begin = np.maximum(go, st.open[None, :])
    ok_window = begin + st.dwell[None, :] <= st.close[None, :]
    ok_budget = begin + st.dwell[None, :] + back <= shift
    ok = ok_window & ok_budget
    impossible = np.flatnonzero(~ok.any(axis=0))
    for i in impossible:
        if not st.required[i]:
            continue
        if not np.isfinite(go[:, i]).any() or not np.isfinite(back[:, i]).any():
            msg = f"`stops`: stop {st.ids[i]!r} cannot be reached from or back to any unit's post"
        elif not ok_window[:, i].any():
            earliest = float(np.min(go[:, i]))
            msg = (
                f"`stops`: the time window of stop {st.ids[i]!r} cannot be met: it closes at "
                f"{st.close[i] / 60:.0f} min with a {st.dwell[i] / 60:.0f} min dwell, "
                f"but the earliest arrival from a post is at {earliest / 60:.0f} min"
            )
        else:
            best = float(np.min(begin[:, i] + st.dwell[i] + back[:, i]))
            msg = (
                f"`stops`: stop {st.ids[i]!r} cannot be reached and left within the shift budget "
                f"`shift` of {shift / 60:.0f} min (it needs at least {best / 60:.0f} min)"
            )
        raise ValidationError(msg)
    return impossible


def _timetable(tt: FloatArray, st: _Stops, order: Sequence[int], s: int, e: int) -> pd.DataFrame:
    """The timetable of leaving post `s` at 0, then `order`, then post `e` (waits for windows)."""
    rows = [
        {
            "order": 0,
            "stop": None,
            "node": s,
            "arrive": 0.0,
            "start": 0.0,
            "leave": 0.0,
            "wait": 0.0,
            "dwell": 0.0,
        }
    ]
    now, here = 0.0, s
    for k, i in enumerate(order, start=1):
        node = int(st.node[i])
        arrive = now + tt[here, node]
        begin = max(arrive, st.open[i])
        leave = begin + st.dwell[i]
        rows.append(
            {
                "order": k,
                "stop": st.ids[i],
                "node": node,
                "arrive": arrive,
                "start": begin,
                "leave": leave,
                "wait": begin - arrive,
                "dwell": float(st.dwell[i]),
            }
        )
        now, here = leave, node
    arrive = now + tt[here, e]
    rows.append(
        {
            "order": len(order) + 1,
            "stop": None,
            "node": e,
            "arrive": arrive,
            "start": arrive,
            "leave": arrive,
            "wait": 0.0,
            "dwell": 0.0,
        }
    )
    return pd.DataFrame(rows, columns=TIMETABLE_COLUMNS)


def _feasible(
    tt: FloatArray, st: _Stops, order: Sequence[int], s: int, e: int, shift: float
) -> bool:
    """Windows and the shift budget hold for `order` (a fast loop; tests use the simulator)."""
    now, here = 0.0, s
    for i in order:
        node = int(st.node[i])
        begin = max(now + tt[here, node], st.open[i])
        now = begin + st.dwell[i]
        if now > st.close[i] + 1e-6:
            return False
        here = node
    return bool(now + tt[here, e] <= shift + 1e-6)


def _finish(tt: FloatArray, st: _Stops, order: Sequence[int], s: int, e: int) -> float:
    """Seconds from leaving post `s` at 0 to arriving at post `e` (waits for windows included)."""
    now, here = 0.0, s
    for i in order:
        node = int(st.node[i])
        now = max(now + tt[here, node], st.open[i]) + st.dwell[i]
        here = node
    return float(now + tt[here, e])


def _insert_dropped(
    tt: FloatArray,
    st: _Stops,
    orders: list[list[int]],
    dropped: list[int],
    prize: FloatArray,
    start: list[int],
    end: list[int],
    shift: float,
) -> list[list[int]]:
    """Cheapest feasible insertion of dropped stops worth more than the extra travel."""
    orders = [list(o) for o in orders]
    value = np.where(st.required, np.inf, prize)
    for i in sorted(dropped, key=lambda i: -value[i]):
        best: tuple[float, int, int] | None = None
        node = int(st.node[i])
        for k, order in enumerate(orders):
            path = np.asarray([start[k], *st.node[order], end[k]], dtype=np.int64)
            extra = tt[path[:-1], node] + tt[node, path[1:]] - tt[path[:-1], path[1:]]
            for pos in np.argsort(extra, kind="stable"):
                if extra[pos] >= value[i] or (best is not None and extra[pos] >= best[0]):
                    break
                cand = [*order[:pos], i, *order[pos:]]
                if _feasible(tt, st, cand, start[k], end[k], shift):
                    best = (float(extra[pos]), k, int(pos))
                    break
        if best is not None:
            _, k, pos = best
            orders[k].insert(pos, i)
    return orders
