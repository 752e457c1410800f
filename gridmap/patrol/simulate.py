"""An independent timetable simulator for patrol routes.

Given the places of a route in order and the travel-time matrix, walk the route the way a
unit would: leave the first place at the start time, travel, wait for a window to open,
dwell, move on. Report the timetable and every broken rule (a window missed, the shift
budget exceeded, a dwell shorter than asked). It shares no code with
:mod:`gridmap.patrol.routing` on purpose: tests check every produced route with it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy.typing as npt
import pandas as pd


@dataclass
class RouteReport:
    """What the simulation found: ``timetable`` (arrive/start/leave per place, seconds),
    ``travel_time``, ``end_time`` (arrival at the last place) and ``violations`` (text)."""

    timetable: pd.DataFrame
    travel_time: float
    end_time: float
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


def simulate_route(
    times: npt.ArrayLike,
    nodes: Sequence[int],
    *,
    dwell: Sequence[float] | None = None,
    windows: Sequence[tuple[float, float] | None] | None = None,
    shift: float | None = None,
    start_time: float = 0.0,
    planned: pd.DataFrame | None = None,
    min_dwell: float | None = None,
    tolerance: float = 1e-6,
) -> RouteReport:
    """Recompute the timetable of a route and check its rules.

    Parameters
    ----------
    times : travel-time matrix, seconds.
    nodes : matrix rows of the route's places in order (start post … end post).
    dwell : seconds spent at each place (default 0).
    windows : per place ``(open, close)`` seconds or ``None``: the dwell must start at or
        after ``open`` and end by ``close``.
    shift : the unit must reach the last place by ``start_time + shift``.
    planned : a timetable to compare (columns ``arrive``, ``leave``): differences beyond
        `tolerance` are violations.
    min_dwell : every place with a positive dwell must have at least this dwell (Koper).
    """
    n = len(nodes)
    dwell = [0.0] * n if dwell is None else [float(d) for d in dwell]
    windows = [None] * n if windows is None else list(windows)
    if len(dwell) != n or len(windows) != n:
        msg = "`dwell` and `windows` need one entry per place in `nodes`"
        raise ValueError(msg)
    rows = []
    violations: list[str] = []
    clock = float(start_time)
    travel = 0.0
    previous = None
    for k, node in enumerate(nodes):
        if previous is None:
            arrive = clock
        else:
            leg = float(times[previous][node])  # type: ignore[index]
            if not math.isfinite(leg):
                violations.append(f"place {k}: no way from node {previous} to node {node}")
            travel += leg
            arrive = clock + leg
        begin = arrive
        window = windows[k]
        if window is not None:
            opens, closes = float(window[0]), float(window[1])
            if begin < opens:
                begin = opens
            if begin + dwell[k] > closes + tolerance:
                violations.append(
                    f"place {k} (node {node}): dwell ends at {begin + dwell[k]:.0f} s, "
                    f"after its window closes at {closes:.0f} s"
                )
        if min_dwell is not None and 0 < dwell[k] < min_dwell - tolerance:
            violations.append(f"place {k}: dwell {dwell[k]:.0f} s is below {min_dwell:.0f} s")
        leave = begin + dwell[k]
        rows.append({"node": node, "arrive": arrive, "start": begin, "leave": leave})
        clock = leave
        previous = node
    end_time = rows[-1]["arrive"] if rows else float(start_time)
    if shift is not None and end_time > start_time + shift + tolerance:
        violations.append(
            f"the route ends at {end_time:.0f} s, after the shift budget of {shift:.0f} s"
        )
    table = pd.DataFrame(rows, columns=["node", "arrive", "start", "leave"])
    if planned is not None:
        if len(planned) != len(table):
            violations.append(f"planned timetable has {len(planned)} rows, simulated {len(table)}")
        else:
            for col in ("arrive", "leave"):
                diff = planned[col].to_numpy(float) - table[col].to_numpy(float)
                worst = max(abs(float(d)) for d in diff) if len(diff) else 0.0
                if worst > tolerance:
                    violations.append(
                        f"planned `{col}` differs from the simulation by {worst:.3f} s"
                    )
    return RouteReport(table, travel, end_time, violations)


def check_plan(
    plan: object,
    times: npt.ArrayLike,
    stops: pd.DataFrame,
    *,
    shift: float,
    dwell: float,
) -> list[str]:
    """Simulate every route of a :class:`~gridmap.patrol.routing.PatrolPlan` against `stops`.

    Checks: each stop visited at most once, windows, the shift, dwell as asked, the plan's
    timetable and travel time. Returns the violations (empty when all is well).
    """
    by_id = stops.set_index("stop")
    problems: list[str] = []
    seen: set[object] = set()
    for route in plan.routes:  # type: ignore[attr-defined]
        dw, win = [0.0], [None]
        for s in route.stops:
            if s in seen:
                problems.append(f"{route.unit}: stop {s!r} visited twice")
            seen.add(s)
            row = by_id.loc[s]
            d = row.get("dwell", float("nan"))
            d = dwell if d is None or (isinstance(d, float) and math.isnan(d)) else float(d)
            dw.append(d)
            o = row.get("open", float("nan"))
            c = row.get("close", float("nan"))
            o = 0.0 if o is None or (isinstance(o, float) and math.isnan(o)) else float(o)
            c = shift if c is None or (isinstance(c, float) and math.isnan(c)) else float(c)
            win.append((o, c))
            if int(row["node"]) != route.nodes[len(dw) - 1]:
                problems.append(f"{route.unit}: stop {s!r} at the wrong node")
        dw.append(0.0)
        win.append(None)
        report = simulate_route(
            times,
            route.nodes,
            dwell=dw,
            windows=win,
            shift=shift,
            planned=route.timetable,
            tolerance=1e-3,
        )
        problems += [f"{route.unit}: {v}" for v in report.violations]
        if abs(report.travel_time - route.travel_time) > 1e-3:
            problems.append(
                f"{route.unit}: travel time {route.travel_time} != {report.travel_time}"
            )
    return problems
