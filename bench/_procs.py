"""CPU seconds of the benches' own processes (the server, the browsers), read from /proc.

Linux only. Other programs on the machine may run Chromium or Streamlit too, so only
descendants of the bench's own process count.
"""

from __future__ import annotations

import os
from pathlib import Path

#: pid → (parent pid, command line, CPU seconds so far).
Processes = dict[int, tuple[int, str, float]]


def processes() -> Processes:
    """Every process: (parent, command line, user + system CPU seconds so far)."""
    tick = os.sysconf("SC_CLK_TCK")
    out: Processes = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # gone meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        out[int(entry)] = (int(fields[1]), cmd, (int(fields[11]) + int(fields[12])) / tick)
    return out


def is_chromium(cmd: str) -> bool:
    """Whether a command line is a Chromium process (the browser or one of its helpers)."""
    return "chrom" in cmd.split(" ")[0]


def mine(procs: Processes, pid: int) -> bool:
    """Whether `pid` descends from this process."""
    while pid in procs and pid != os.getpid():
        pid = procs[pid][0]
    return pid == os.getpid()
