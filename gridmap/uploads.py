"""Temporary copies of uploaded files: kept only while they are read, never past a session.

The readers in :mod:`gridmap.io` take a path, so a file uploaded through the web page is
written to disk for as long as it is being read, and removed right after. Each browser
session gets its own folder under :func:`uploads_root`; the folder goes when the session's
:class:`UploadFolder` is garbage-collected (Streamlit drops a session's state when the
session ends) or the server exits, and a new folder sweeps away those older than
:data:`STALE_AFTER` that a killed server left behind. Before this, every upload stayed in
the temp folder for good: 380 MB after two sessions, about 1 GB on a server after a week.

The library never imports Streamlit: the page keeps one :class:`UploadFolder` in its
session state, and tests use the same class directly.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
import unicodedata
import weakref
from collections.abc import Iterator
from pathlib import Path

#: Environment variable naming the folder for upload copies (default: the system temp).
UPLOADS_ENV = "GRIDMAP_UPLOAD_DIR"
#: Session folders untouched for this long (seconds) belong to no live session: a server
#: that was killed never ran their clean-up. Twelve hours outlasts any working day's
#: idle browser tab.
STALE_AFTER = 12 * 3600
_SESSION_PREFIX = "session-"
#: Longest file name (in UTF-8 bytes) a copy gets: most file systems allow 255.
_NAME_LIMIT = 200


def uploads_root() -> Path:
    """The folder holding every session's upload folder (``$GRIDMAP_UPLOAD_DIR`` or temp)."""
    env = os.environ.get(UPLOADS_ENV)
    return Path(env) if env else Path(tempfile.gettempdir()) / "gridmap-uploads"


def safe_file_name(name: str) -> str:
    """`name` as a single plain file name, keeping what users recognise (and the suffix).

    Browsers send the name the user's file had, but a crafted request can send anything:
    ``../../x``, an absolute path, ``..``, control characters, a name too long for the
    disk. Only the last path component is kept, control characters become ``_``, and a
    name that is empty or hidden gets an ``upload`` stem.

    >>> safe_file_name("../../etc/警情.csv"), safe_file_name(".."), safe_file_name("a\\nb.xlsx")
    ('警情.csv', 'upload', 'a_b.xlsx')
    """
    last = str(name).replace("\\", "/").rsplit("/", 1)[-1]
    plain = "".join("_" if unicodedata.category(ch)[0] == "C" else ch for ch in last).strip()
    if plain in ("", ".", "..") or plain.startswith("."):
        plain = "upload" + ("" if plain in ("", ".", "..") else plain)
    stem, dot, suffix = plain.rpartition(".")
    if not dot or len(suffix) > 10:
        stem, suffix = plain, ""
    tail = f".{suffix}" if suffix else ""
    while len((stem + tail).encode("utf-8")) > _NAME_LIMIT:
        stem = stem[:-1]
    return stem + tail


def sweep_stale(root: Path | None = None, *, older_than: float = STALE_AFTER) -> list[Path]:
    """Remove session folders under `root` untouched for `older_than` seconds; list them."""
    folder = uploads_root() if root is None else Path(root)
    if not folder.is_dir():
        return []
    cutoff = time.time() - older_than
    removed = []
    for child in folder.glob(f"{_SESSION_PREFIX}*"):
        with contextlib.suppress(OSError):
            if child.is_dir() and child.stat().st_mtime < cutoff:
                shutil.rmtree(child, ignore_errors=True)
                removed.append(child)
    return removed


class UploadFolder:
    """One browser session's folder for upload copies, removed with the session.

    Keep the object as long as the session lives (Streamlit: in ``st.session_state``).
    When it is garbage-collected, or at the latest when Python exits, its folder and
    anything left in it are deleted (:func:`weakref.finalize`); :meth:`close` does it
    at once.
    """

    def __init__(self, root: Path | None = None) -> None:
        self.root = uploads_root() if root is None else Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        sweep_stale(self.root)
        self.path = Path(tempfile.mkdtemp(prefix=_SESSION_PREFIX, dir=self.root))
        self._finalizer = weakref.finalize(self, shutil.rmtree, self.path, ignore_errors=True)

    @contextlib.contextmanager
    def copy(self, name: str, data: bytes | memoryview) -> Iterator[Path]:
        """Write `data` as a file called ``safe_file_name(name)``; delete it on leaving.

        Each copy gets a folder of its own, so two uploads with the same name (two browser
        tabs of one session) never overwrite each other.
        """
        with self.scratch() as folder:
            path = folder / safe_file_name(name)
            path.write_bytes(data)
            yield path

    @contextlib.contextmanager
    def scratch(self) -> Iterator[Path]:
        """An empty folder for files made for a moment (an export before its download)."""
        # The sweep of another session may have taken an idle folder: make it again.
        self.path.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(dir=self.path))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def close(self) -> None:
        """Delete the folder and everything in it now."""
        self._finalizer()

    @property
    def closed(self) -> bool:
        """Whether the folder has been deleted."""
        return not self._finalizer.alive
