"""Nothing leaves the machine: the app's server, watched by strace, connects only to itself."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from gridmap.store import install_sample_workspace
from tests.browser import ROOT, free_port

#: The address of every connect() strace shows, IPv4 or IPv6.
ADDRESS = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')


def outside_connects(trace: str) -> list[str]:
    """connect() calls in `trace` to anything but this machine's loopback."""
    outside = []
    for line in trace.splitlines():
        if "connect(" not in line:
            continue
        for v4, v6 in ADDRESS.findall(line):
            address = v4 or v6
            if not (address.startswith(("127.", "::ffff:127.")) or address in ("::1", "::")):
                outside.append(line.strip())
    return outside


def test_outside_connects_are_recognised() -> None:
    trace = (
        '1 connect(5, {sa_family=AF_INET, sin_port=htons(1), sin_addr=inet_addr("8.8.8.8")}, 16)'
        " = 0\n2 connect(6, {sa_family=AF_INET, sin_port=htons(80), "
        'sin_addr=inet_addr("127.0.0.1")}, 16) = 0\n'
        '3 connect(7, {sa_family=AF_UNIX, sun_path="/run/x"}, 110) = 0\n'
    )
    assert outside_connects(trace) == [trace.splitlines()[0]]


async def _run_the_page(url: str) -> None:
    """Open a session over Streamlit's WebSocket and run the app's script once."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    async with websockets.connect(
        f"ws://{url}/_stcore/stream", subprotocols=["streamlit"], max_size=None
    ) as ws:
        rerun = BackMsg()
        rerun.rerun_script.query_string = ""
        await ws.send(rerun.SerializeToString())
        async with asyncio.timeout(90):
            while True:
                msg = ForwardMsg()
                msg.ParseFromString(await ws.recv())
                if msg.WhichOneof("type") == "script_finished":
                    return


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("strace") is None, reason="strace not installed")
def test_the_server_makes_no_outside_connection(tmp_path: Path) -> None:
    install_sample_workspace(tmp_path / "sample.gpkg")
    port = free_port()
    trace = tmp_path / "connects.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDMAP_")}
    env.update(GRIDMAP_HOME=str(tmp_path), PYTHONWARNINGS="ignore")
    # As `make app` starts it: only .streamlit/config.toml says what to do (no
    # --server.address: a wildcard address is what made Streamlit look up its own IPs).
    cmd = ["strace", "-f", "-qq", "-e", "trace=connect,bind", "-o", str(trace)]
    cmd += [sys.executable, "-m", "streamlit", "run", "streamlit_app.py"]
    cmd += ["--server.port", str(port), "--server.fileWatcherType", "none"]
    log = tmp_path / "streamlit.log"
    with open(log, "w") as out:
        # Its own process group: strace, once terminated, detaches and leaves the server
        # running, so the whole group is stopped at the end.
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as resp:
                    assert resp.status == 200
                    break
            except OSError:
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        asyncio.run(_run_the_page(f"127.0.0.1:{port}"))
        time.sleep(2)  # anything started in the background has had time to connect
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        with contextlib.suppress(ProcessLookupError):  # the server itself, if it lingers
            for _ in range(50):
                os.killpg(proc.pid, 0)
                time.sleep(0.1)
            os.killpg(proc.pid, signal.SIGKILL)
    text = trace.read_text()
    assert "bind(" in text  # strace saw the server (it binds its port)
    assert outside_connects(text) == [], log.read_text()
