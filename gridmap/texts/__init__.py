"""Interface texts of one area each, merged into :data:`gridmap.i18n.TEXT` and ``MESSAGES``.

A module here defines ``TEXT`` and/or ``MESSAGES``, dicts of ``key -> (zh, en)`` exactly as
in :mod:`gridmap.i18n`. Each journey keeps its texts in its own module so that work on one
page never edits the same lines as work on another; a key defined twice is an error at
import time.
"""
