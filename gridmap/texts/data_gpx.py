"""Messages of GPX files read by :mod:`gridmap.io` (the Data page, ``gridmap import``)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "gpx_document_type": (
        "文件 {name} 含有文档类型定义（<!DOCTYPE>/<!ENTITY>）：GPX 文件不需要它，"
        "出于安全原因不读取",
        "{name} declares a document type (<!DOCTYPE>/<!ENTITY>): GPX files need none, so it "
        "is not read (entities can read server files or expand without end)",
    ),
    "gpx_unreadable": (
        "无法读取 GPX 文件 {name}：{detail}",
        "{name} is not a readable GPX file: {detail}",
    ),
    "gpx_no_track_points": (
        "GPX 文件 {name} 没有轨迹点（<trkpt>），只有 {waypoints} 个航点和 {route_points} 个"
        "路线点：航点是标记的地点，路线是计划，都不是记录的定位。请导入 GPS 记录的轨迹文件",
        "{name} has no track points (<trkpt>), only {waypoints} waypoints and {route_points} "
        "route points: waypoints are marked places and a route is a plan, neither is a "
        "recorded fix. Import the track file the GPS recorded",
    ),
    "gpx_no_times": (
        "GPX 文件 {name} 的 {n} 个轨迹点都没有时间（<time>）：巡逻轨迹需要每个定位的时间，"
        "才能与计划对比（计划路线导出的 GPX 没有时间）",
        "none of the {n} track points of {name} has a time (<time>): patrol tracks need the "
        "time of each fix to be compared with the plan (a planned route's GPX has none)",
    ),
    "gpx_points_not_imported": (
        "只导入了轨迹点：{waypoints} 个航点和 {route_points} 个路线点不是记录的定位，未导入",
        "only track points were imported: {waypoints} waypoints and {route_points} route "
        "points are not recorded fixes and were left out",
    ),
}
