"""Bad-input messages of the police's street network, line patrols, siting and GPS tracks."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "patrol_posts_far": (
        "岗点 {posts} 距离每条{mode}道路都超过 {limit} 米：请移动岗点，或放宽吸附距离 `max_snap`",
        "`posts`: post(s) {posts} are farther than {limit} m from every {mode} street; "
        "move them or raise `max_snap`",
    ),
    "patrol_candidates_far": (
        "候选点 {points} 距离每条{mode}道路都超过 {limit} 米："
        "请移动这些点，或放宽吸附距离 `max_snap`",
        "`candidates`: point(s) {points} are farther than {limit} m from every {mode} street; "
        "move them or raise `max_snap`",
    ),
    "patrol_network_parts": (
        "路网不连通：分成 {parts} 个互不相连的部分（{kind}）；请对每一部分分别规划线巡",
        "`graph` is not {kind}: {parts} separate parts; patrol each part on its own",
    ),
    "patrol_track_no_times": (
        "GPS 轨迹没有任何时间戳：无法计算停留时长和到访次数",
        "`track` has no timestamps: dwell and visits cannot be measured",
    ),
    "patrol_track_jumps": (
        "GPS 轨迹中 {jumps} / {n} 个定位点的跳跃速度超过 {speed} 米/秒："
        "坐标是否使用了其他坐标系（GCJ-02、BD-09），或出行方式选错了？",
        "`track`: {jumps} of {n} fixes jump faster than {speed} m/s: are the coordinates in "
        "another system (GCJ-02, BD-09) or the mode wrong?",
    ),
}
