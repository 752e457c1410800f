"""Error types shared by every gridmap module.

A small hierarchy so callers (the pages, the CLI) can tell a user's mistake from a bug:
everything a user can cause derives from :class:`GridmapError`.
"""

from __future__ import annotations


class GridmapError(Exception):
    """Base class of errors a user can cause and should be shown."""


class ValidationError(GridmapError, ValueError):
    """Data or arguments do not satisfy the data model."""


class ImportFileError(GridmapError, ValueError):
    """A file cannot be read at all (empty, wrong type, too large, binary junk)."""


class StoreError(GridmapError):
    """The workspace store cannot do what was asked (unknown layer, version, backend)."""
