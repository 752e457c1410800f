"""Messages about hostile or broken input found by the attack on the new journeys: GPS
tracks (unreadable files, impossible coordinates and times) and workspace URLs."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "track_too_large": (
        "GPS 轨迹文件 {name} 有 {size:.0f} MB，超过上限 {limit:.0f} MB",
        "`path` {name} is {size:.0f} MB, more than the {limit:.0f} MB limit for a GPS track",
    ),
    "track_gpx_dtd": (
        "GPS 轨迹文件 {name} 含有文档类型定义（<!DOCTYPE>/<!ENTITY>）：GPX 文件不需要它，"
        "出于安全原因不读取",
        "`path` {name} declares a document type (<!DOCTYPE>/<!ENTITY>): GPX files need none, "
        "so it is not read (entities can read server files or expand without end)",
    ),
    "track_unreadable": (
        "无法读取 GPS 轨迹文件 {name}：{detail}",
        "`path` {name} is not a readable GPS track: {detail}",
    ),
    "track_no_fixes": (
        "GPS 轨迹文件 {name} 没有一个坐标有效的定位点",
        "`path` {name} has no fix with valid coordinates",
    ),
    "track_bad_coordinates": (
        "已丢弃 {n} 个坐标缺失或超出经纬度范围（经度 ±180°，纬度 ±90°）的定位点",
        "{n} fixes with missing coordinates or outside the lon/lat range (±180°, ±90°) dropped",
    ),
    "track_no_time": (
        "已丢弃 {n} 个没有时间戳的定位点",
        "{n} fixes without a timestamp dropped",
    ),
    "track_absurd_time": (
        "已丢弃 {n} 个时间不合理的定位点（早于 GPS 起始日 {first} 或晚于 {last}）",
        "{n} fixes with an impossible time (before the GPS epoch {first} or after {last}) dropped",
    ),
    "track_repeated_time": (
        "已丢弃 {n} 个时间戳重复的定位点",
        "{n} fixes with a repeated timestamp dropped",
    ),
    "track_jumps_dropped": (
        "已丢弃 {n} 个速度超过 {speed} 米/秒的跳点（第一个在 {first}）",
        "{n} jumps faster than {speed} m/s dropped (first at {first})",
    ),
}
