"""Benchmark: gridmap.io.import_file on a large incident CSV against plain pandas.

The target (see gridmap/io.py) is that importing a million-row police-call CSV, with all
of gridmap's checks, takes at most twice as long as the bare minimum: ``pandas.read_csv``
plus ``geopandas.points_from_xy`` on the same file. The CSV is generated at run time from a
fixed seed: incident ids, Chinese category labels (a few unknown), ISO date-times,
coordinates around central Helsinki, Chinese descriptions (some quoted, with commas), and
0.1 % each of rows without coordinates or with an impossible date (rejected by gridmap).

Each measurement runs in its own subprocess, so the peak resident memory reported
(``VmHWM``) is that measurement's alone; "work" is the peak minus the memory the process
held after importing its libraries.

Usage::

    python bench/bench_import.py                      # 1,000,000 rows, UTF-8 and GBK
    python bench/bench_import.py --rows 200000 --encoding gbk --repeat 3 --check
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

TARGET_RATIO = 2.0
LABELS = ["盗窃", "诈骗", "打架斗殴", "矛盾纠纷", "噪音扰民", "交通事故", "民生诉求-投诉", "抢劫"]
WEIGHTS = [0.30, 0.15, 0.08, 0.17, 0.12, 0.10, 0.06, 0.02]  # 抢劫 is not a gridmap category
STREETS = ["曼纳海姆路", "亚历山大街", "埃斯普拉纳迪", "康比广场", "铁路广场", "市场广场"]
DETAILS = ["电动车被盗", "手机被骗走人民币两千元", "两人在店门口发生口角", "楼上深夜装修噪音扰民"]


def generate(path: Path, rows: int, encoding: str, *, seed: int = 20260301) -> None:
    """Write a realistic incident CSV of `rows` rows."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2025-03-01T00:00:00", "s")
    seconds = rng.integers(0, 365 * 24 * 3600, rows)
    times = pd.Series(start + seconds.astype("timedelta64[s]")).dt.strftime("%Y-%m-%d %H:%M:%S")
    street = np.asarray(STREETS)[rng.integers(0, len(STREETS), rows)]
    detail = np.asarray(DETAILS)[rng.integers(0, len(DETAILS), rows)]
    number = rng.integers(1, 200, rows).astype(str)
    description = pd.Series(street) + number + "号附近，" + detail
    quoted = rng.random(rows) < 0.01
    description[quoted] = description[quoted] + ", 报警人已离开"  # ASCII comma: quoted field
    frame = pd.DataFrame(
        {
            "事件编号": pd.Series(np.arange(rows)).map("JJ2026{:08d}".format),
            "类别": np.asarray(LABELS)[rng.choice(len(LABELS), rows, p=WEIGHTS)],
            "发生时间": times,
            "经度": np.round(24.94 + rng.normal(0, 0.012, rows), 6),
            "纬度": np.round(60.17 + rng.normal(0, 0.006, rows), 6),
            "描述": description,
            "来源": np.where(rng.random(rows) < 0.8, "110", "12345"),
        }
    )
    # A few rows a real export carries: no coordinates, an impossible date (0.1 % each).
    frame.loc[rng.random(rows) < 0.001, ["经度", "纬度"]] = np.nan
    frame.loc[rng.random(rows) < 0.001, "发生时间"] = "2026-02-30 25:00:00"
    path.write_bytes(frame.to_csv(index=False, lineterminator="\r\n").encode(encoding))


def _rss_mb(field: str) -> float:
    """Current (VmRSS) or peak (VmHWM) resident memory of this process, in MB.

    VmHWM starts afresh at exec, unlike ``ru_maxrss``, which a child inherits from the
    parent that generated the data.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def worker(kind: str, path: str, encoding: str) -> None:
    """Run one measurement and print it as JSON (in a fresh subprocess)."""
    import geopandas as gpd

    from gridmap.io import import_file

    before = _rss_mb("VmRSS")
    started = time.perf_counter()
    if kind == "baseline":
        frame = pd.read_csv(path, encoding=encoding)
        points = gpd.points_from_xy(frame["经度"], frame["纬度"], crs="EPSG:4326")
        rows, rejected = len(points), 0
    else:
        result = import_file(path, "incidents", max_bytes=2**31)
        rows, rejected = len(result.data), len(result.rejected)
    seconds = time.perf_counter() - started
    peak = _rss_mb("VmHWM")
    report = {
        "seconds": seconds,
        "peak_mb": peak,
        "work_mb": peak - before,
        "rows": rows,
        "rejected": rejected,
    }
    print(json.dumps(report))


def measure(kind: str, path: Path, encoding: str) -> dict[str, float]:
    command = [sys.executable, __file__, "--worker", kind, "--file", str(path)]
    command += ["--encoding", encoding]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--encoding", choices=["utf-8", "gbk", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the best counts")
    parser.add_argument("--check", action="store_true", help=f"fail if ratio > {TARGET_RATIO}")
    parser.add_argument("--worker", choices=["baseline", "gridmap"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.file, args.encoding)
        return 0
    encodings = ["utf-8", "gbk"] if args.encoding == "both" else [args.encoding]
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="gridmap-bench-") as tmp:
        for encoding in encodings:
            path = Path(tmp) / f"incidents-{encoding}.csv"
            started = time.perf_counter()
            generate(path, args.rows, encoding)
            size = path.stat().st_size / 2**20
            took = time.perf_counter() - started
            print(f"\n{args.rows:,} rows, {encoding}, {size:.1f} MB (generated in {took:.1f} s)")
            runs: dict[str, list[dict[str, float]]] = {"baseline": [], "gridmap": []}
            for _ in range(args.repeat):
                for kind in runs:  # alternate, so both see the same machine state
                    runs[kind].append(measure(kind, path, encoding))
            best = {k: min(r, key=lambda m: m["seconds"]) for k, r in runs.items()}
            for kind, m in best.items():
                label = "pandas.read_csv + points_from_xy" if kind == "baseline" else "import_file"
                print(
                    f"  {label:<34} {m['seconds']:6.2f} s   peak RSS {m['peak_mb']:7.0f} MB"
                    f"   (work {m['work_mb']:6.0f} MB)   {m['rows']:,} rows"
                    + (f", {m['rejected']:,} rejected" if kind == "gridmap" else "")
                )
            ratio = best["gridmap"]["seconds"] / best["baseline"]["seconds"]
            worst = max(worst, ratio)
            verdict = "ok" if ratio <= TARGET_RATIO else "TOO SLOW"
            print(f"  ratio {ratio:.2f} (target ≤ {TARGET_RATIO}) {verdict}")
    return 1 if args.check and worst > TARGET_RATIO else 0


if __name__ == "__main__":
    sys.exit(main())
