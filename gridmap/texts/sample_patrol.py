"""Names of the columns the patrol journey added to the data model (sites' opening hours,
the ``tracks`` layer), in Chinese and English.

:data:`COLUMN_LABELS` is added to :data:`gridmap.i18n.COLUMN_LABELS` when this module is
merged; a column named there already is an error, as for a text key defined twice.
"""

from __future__ import annotations

#: column -> (zh, en), as :data:`gridmap.i18n.COLUMN_LABELS`.
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "opens": ("开门/上课时间", "Opens"),
    "closes": ("关门/放学时间", "Closes"),
    "time": ("定位时间", "Fix time"),
    "unit": ("巡逻单元", "Patrol unit"),
    "speed": ("速度（米/秒）", "Speed (m/s)"),
}


def _add_column_labels() -> None:
    # gridmap.i18n imports this module while it merges the text modules; its column
    # labels are defined by then.
    from gridmap import i18n

    twice = sorted(set(COLUMN_LABELS) & set(i18n.COLUMN_LABELS))
    if twice:
        msg = f"gridmap.texts.sample_patrol.COLUMN_LABELS names columns already named: {twice}"
        raise RuntimeError(msg)
    i18n.COLUMN_LABELS.update(COLUMN_LABELS)


_add_column_labels()
