"""A Streamlit session without a browser, for the load bench's server-only phase.

Speaks the app's own websocket protocol (``/_stcore/stream``; Streamlit's ``BackMsg`` and
``ForwardMsg`` protocol buffers, from the installed ``streamlit.proto``): asks for a run
of a page as the browser does when a sidebar link is clicked, and reads every message of
the run until the server says it has finished. The time from asking to that last message
is what the server makes a person wait before their browser can draw; the browser's own
drawing is measured apart (``bench_load.py`` with browsers).

With a trusted single sign-on header (``GRIDMAP_TRUSTED_USER_HEADER`` set for the server,
as behind an intranet's reverse proxy) the session is signed in as the user it names.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg


@dataclass
class Run:
    """One run of a page as the server sent it."""

    seconds: float
    maps: int  # map components sent: in-page (components v2) or streamlit-folium iframes
    nbytes: int
    exceptions: list[str] = field(default_factory=list)


class StreamSession:
    """One browser-less session of the app at `url` (``async with``)."""

    def __init__(self, url: str, *, headers: dict[str, str] | None = None) -> None:
        self.url = url.rstrip("/")
        self.headers = headers or {}
        self.pages: dict[str, str] = {}  # URL path ("" for the default page) -> page hash
        self._ws = None

    async def __aenter__(self) -> StreamSession:
        self._ws = await websockets.connect(
            self.url.replace("http", "ws", 1) + "/_stcore/stream",
            subprotocols=["streamlit"],  # type: ignore[list-item]
            additional_headers=self.headers,
            origin=self.url,  # type: ignore[arg-type]
            max_size=None,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._ws is not None:
            await self._ws.close()

    async def run(self, page: str = "") -> Run:
        """Run the page at URL path `page` ("" the default); the run as the server sent it."""
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_script_hash = self.pages.get(page, "")
        start = time.perf_counter()
        await self._ws.send(msg.SerializeToString())  # type: ignore[union-attr]
        maps = nbytes = 0
        exceptions: list[str] = []
        while True:
            raw = await self._ws.recv()  # type: ignore[union-attr]
            nbytes += len(raw)
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in fwd.navigation.app_pages}
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                element = fwd.delta.new_element
                what = element.WhichOneof("type")
                if what in ("bidi_component", "component_instance"):
                    maps += 1
                elif what == "exception":
                    trace = "\n".join(element.exception.stack_trace[-6:])
                    exceptions.append(f"{element.exception.message}\n{trace}")
            elif kind == "script_finished":
                return Run(time.perf_counter() - start, maps, nbytes, exceptions)
