"""Temporary copies of uploaded files: kept only while they are read, never past a session.

The readers in :mod:`gridmap.io` take a path, so a file uploaded through the web page is
written to disk for as long as it is being read, and removed right after. Each browser
session gets its own folder under :func:`uploads_root`, named after the server process
and the session. It goes when its :class:`UploadFolder` is garbage-collected or the
server exits, and :func:`sweep` removes what is left over: folders of sessions that have
ended (the caller says which), of server processes that no longer run, and any older
than :data:`STALE_AFTER`. (Streamlit keeps a closed tab's session until its store next
expires entries, so collection alone came late or never: a real browser test showed
it.) Before this, every upload stayed in the temp folder for good: 380 MB after two
sessions, about 1 GB on a server after a week.

The library never imports Streamlit: the page keeps one :class:`UploadFolder` in its
session state, and tests use the same class directly.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
import unicodedata
import weakref
from collections.abc import Callable, Iterator
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


#: ``session-<pid>-<owner>-<random>``: the server process and the session owning it.
_FOLDER = re.compile(rf"{_SESSION_PREFIX}(\d+)-(.*)-[a-z0-9_]+")


def _process_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def sweep(
    root: Path | None = None,
    *,
    ended: Callable[[str], bool] | None = None,
    keep: Path | None = None,
    older_than: float = STALE_AFTER,
    grace: float = 5.0,
) -> list[Path]:
    """Remove left-over session folders under `root`; return those removed.

    A folder is left over when `ended` (called with the owner given to
    :class:`UploadFolder`) says its session of this process has ended, when the server
    process that made it no longer runs, or when nothing touched it for `older_than`
    seconds. Folders younger than `grace` seconds and `keep` are never removed.
    """
    folder = uploads_root() if root is None else Path(root)
    if not folder.is_dir():
        return []
    now = time.time()
    removed = []
    for child in folder.glob(f"{_SESSION_PREFIX}*"):
        with contextlib.suppress(OSError):
            if child == keep or not child.is_dir():
                continue
            age = now - child.stat().st_mtime
            if age < grace:
                continue
            match = _FOLDER.fullmatch(child.name)
            left_over = age > older_than
            if match and not left_over:
                pid, owner = int(match[1]), match[2]
                if pid == os.getpid():
                    left_over = ended is not None and ended(owner)
                else:
                    left_over = not _process_runs(pid)
            if left_over:
                shutil.rmtree(child, ignore_errors=True)
                removed.append(child)
    return removed


class UploadFolder:
    """One browser session's folder for upload copies, removed with the session.

    `owner` names the session (Streamlit's session id), for :func:`sweep`'s `ended`.
    Keep the object as long as the session lives (Streamlit: in ``st.session_state``).
    When it is garbage-collected, or at the latest when Python exits, its folder and
    anything left in it are deleted (:func:`weakref.finalize`); :meth:`close` does it
    at once.
    """

    def __init__(self, root: Path | None = None, *, owner: str = "") -> None:
        self.root = uploads_root() if root is None else Path(root)
        self.owner = re.sub(r"[^A-Za-z0-9_-]", "_", owner)
        self.root.mkdir(parents=True, exist_ok=True)
        sweep(self.root)
        prefix = f"{_SESSION_PREFIX}{os.getpid()}-{self.owner}-"
        self.path = Path(tempfile.mkdtemp(prefix=prefix, dir=self.root))
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
