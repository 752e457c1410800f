"""Texts of the Patrol routes page (巡逻路线) and ``gridmap patrol``: ``key -> (zh, en)``."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "pr_col_stop": ("编号", "Stop"),
    "pr_choose": ("请选择", "Choose"),
    # table columns
    "pr_col_unit": ("巡逻单元", "Unit"),
    "pr_col_start": ("出发岗", "Start post"),
    "pr_col_end": ("返回岗", "End post"),
    "pr_col_stops": ("点位数", "Stops"),
    "pr_col_km": ("里程（公里）", "Distance (km)"),
    "pr_col_travel": ("路途（分钟）", "Travel (min)"),
    "pr_col_duration": ("总时长（分钟）", "Total time (min)"),
    "pr_col_order": ("顺序", "Order"),
    "pr_col_place": ("点位", "Place"),
    "pr_col_kind": ("类型", "Kind"),
    "pr_col_arrive": ("到达", "Arrive"),
    "pr_col_leave": ("离开", "Leave"),
    "pr_col_wait": ("等候（分钟）", "Wait (min)"),
    "pr_col_dwell": ("停留（分钟）", "Dwell (min)"),
    "pr_col_priority": ("优先级（1–5）", "Priority (1–5)"),
    "pr_priorities_help": (
        "可修改每个点位的优先级：时间不够时先舍弃优先级低的点位（优先级 × 10 分钟为其价值）。",
        "Change a stop's priority here: when time runs out, low priorities are left out first "
        "(a priority is worth 10 minutes of travel per point).",
    ),
    "pr_col_why": ("未安排原因", "Why left out"),
    "pr_start_post": ("出发岗", "start post"),
    "pr_end_post": ("返回岗", "end post"),
    "pr_kind_hotspot": ("热点", "hot spot"),
    "pr_kind_site": ("重点目标", "key site"),
    "pr_kind_post": ("岗点", "post"),
    # why a stop was left out
    "pr_why_far": (
        "离道路太远（超过 100 米），无法接入路网",
        "too far from any street (over 100 m)",
    ),
    "pr_why_unreachable": (
        "从出发岗沿道路无法到达或无法返回",
        "cannot be reached from or back to the posts along the streets",
    ),
    "pr_why_window": ("时间窗在本班次内无法满足", "its time window cannot be met in this shift"),
    "pr_why_budget": ("单独前往也超出班次时长", "even alone it does not fit in the shift"),
    "pr_why_priority": ("优先级较低，班次时间不够", "lower priority: the shift ran out of time"),
}

MESSAGES: dict[str, tuple[str, str]] = {
    "schedule_gap_unkept": (
        "在 {shift} 分钟的班次内，从岗位 {post} 出发无法让 {n} 个点位每 {gap} 分钟至少被巡到"
        "一次：点位 {stop} 两次巡到之间要等 {wait} 分钟。请把点位分给多个巡逻组，或放宽间隔。",
        "`max_gap` of {gap} min cannot be kept from post {post} for {n} stops in a {shift} min "
        "shift: stop {stop!r} waits {wait} min between visits. Split the stops between units "
        "or lengthen `max_gap`.",
    ),
    "pr_bad_clock": (
        "`{name}` 应为 时:分 格式的时间（如 08:00），而不是“{value}”",
        "`{name}` must be a clock time such as 08:00, not “{value}”",
    ),
    "pr_bad_priority": (
        "点位 {stop} 的优先级应为正数，而不是“{value}”",
        "the priority of stop {stop} must be a positive number, not “{value}”",
    ),
    "pr_no_start": ("请至少选择一个出发岗", "choose at least one start post"),
    "pr_bad_units": (
        "巡逻单元数应至少为 1，而不是 {units}",
        "the number of units must be at least 1, not {units}",
    ),
    "pr_no_stops": (
        "没有可巡逻的点位：请选择重点目标，或先在“预警与周报”页（周报与移交巡防）保存热点",
        "no stops to visit: choose key sites, or save hot spots on the Warnings & report "
        "page (report and hand-off) first",
    ),
    "pr_bad_shift": (
        "班次时长（{shift} 分钟）应为正且不超过 24 小时，停留时间（{dwell} 分钟）应小于班次时长",
        "the shift ({shift} min) must be positive and at most 24 hours, and the dwell ({dwell} "
        "min) shorter than the shift",
    ),
    "pr_unknown_post": (
        "`{name}` 中的岗点 {post} 不在守望岗图层中",
        "`{name}`: post {post} is not in the posts layer",
    ),
    "pr_unknown_unit": ("没有巡逻单元 {unit}", "there is no unit {unit}"),
    "pr_post_far": (
        "岗点“{post}”距最近道路 {m} 米（超过 {limit} 米）：请把岗点移到道路旁或导入这里的道路",
        "post “{post}” is {m} m from the nearest street (over {limit} m): move the post next to a "
        "street or import the streets there",
    ),
    "pr_required_far": (
        "必到点位“{stop}”离道路太远（超过 100 米），无法接入路网",
        "required stop “{stop}” is too far from any street (over 100 m)",
    ),
    "pr_required_unreachable": (
        "必到点位“{stop}”从出发岗沿道路无法到达或无法返回（路网不连通？）",
        "required stop “{stop}” cannot be reached from or back to the posts along the streets (a "
        "disconnected network?)",
    ),
    "pr_required_window": (
        "必到点位“{stop}”的时间窗 {window} 在本班次内无法满足（停留时间放不进去）",
        "required stop “{stop}”: its time window {window} cannot be met in this shift (the dwell "
        "does not fit)",
    ),
    "pr_required_budget": (
        "必到点位“{stop}”单独前往也超出 {shift} 分钟的班次",
        "required stop “{stop}” does not fit in the {shift} min shift even alone",
    ),
}

TEXT.update(
    {
        # maps
        "pr_legend": ("巡逻路线", "Patrol routes"),
        "pr_legend_unit": ("{unit}：{n} 个点位，{km} 公里", "{unit}: {n} stops, {km} km"),
        "pr_legend_note": (
            "数字为巡逻顺序，箭头为行进方向",
            "numbers: visiting order; arrows: direction",
        ),
        "pr_dropped_layer": ("未安排的点位", "Stops left out"),
        "pr_line_layer": ("线巡路线", "Line patrol"),
        "pr_line_mark": ("沿线第 {k} 段", "stretch {k} along the walk"),
        "pr_line_note": (
            "数字为行进顺序（1 为起点），箭头为方向；每条道路至少走一遍",
            "numbers: walking order (1 = start), arrows: direction; every street walked at least "
            "once",
        ),
        # schedules and tracks
        "pr_col_day": ("第几天", "Day"),
        "pr_col_visits": ("到访次数", "Visits"),
        "pr_col_score": ("可预测性（0–1）", "Predictability (0–1)"),
        "pr_col_every2h": ("每 2 小时至少一次", "Every 2 hours"),
        "pr_col_stop_id": ("点位编号", "Stop id"),
        "pr_ok": ("是", "yes"),
        "pr_not_ok": ("否", "no"),
        "pr_col_minutes_in": ("停留（分钟）", "Minutes inside"),
        "pr_col_mean_visit": ("平均每次（分钟）", "Mean visit (min)"),
        "pr_col_koper": ("10–15 分钟的到访", "Visits of 10–15 min"),
        "pr_col_short": ("不足 10 分钟的到访", "Visits under 10 min"),
        "pr_col_per2h": ("每 2 小时到访", "Visits per 2 hours"),
    }
)

MESSAGES.update(
    {
        "pr_gap_impossible": (
            "从岗点“{post}”（{post_id}）出发的一个巡逻组，在 {shift} 分钟的班次内无法让 {n} 个"
            "点位每 {gap} 分钟都至少到访一次：点位“{stop}”两次到访之间要等 {wait} 分钟。请减少"
            "点位、分给多个巡逻组，或取消“每 2 小时至少一次”。",
            "one unit from post “{post}” ({post_id}) cannot visit each of {n} stops at least "
            "every {gap} minutes in a {shift} minute shift: stop “{stop}” waits {wait} minutes "
            "between visits. Choose fewer stops, split them between units or drop the 2-hour "
            "rule.",
        ),
        "pr_unknown_grid": ("没有编码为 {grid} 的网格", "there is no grid with code {grid}"),
        "pr_grid_no_streets": (
            "网格 {grid} 内没有 {mode} 方式可走的道路",
            "grid {grid} has no streets for mode {mode}",
        ),
        "pr_bad_days": (
            "天数应至少为 1，而不是 {days}",
            "the number of days must be at least 1, not {days}",
        ),
        "pr_track_empty": ("轨迹中没有可用的定位点", "the track has no usable GPS fixes"),
        "pr_track_no_time": (
            "轨迹没有时间戳：无法计算停留时间和到访次数（CSV 需要时间列，GPX 需要 <time>）",
            "the track has no timestamps: dwell and visits cannot be measured (a CSV needs a time "
            "column, a GPX <time>)",
        ),
    }
)

TEXT.update(
    {
        "page_patrol_routes": ("巡逻路线", "Patrol routes"),
        "pr_no_streets": (
            "本工作空间没有道路（streets 图层）：路线沿道路规划。请在“数据”页导入道路中心线。",
            "This workspace has no streets (the streets layer): routes follow the streets. "
            "Import street centrelines on the Data page.",
        ),
        "pr_no_posts": (
            "本工作空间没有守望岗（posts 图层）：路线从岗点出发。请在“数据”页导入岗点，"
            "或在“覆盖与站点”页新增岗点。",
            "This workspace has no sentinel posts (the posts layer): routes start at posts. "
            "Import posts on the Data page, or add one on the Coverage & posts page.",
        ),
        "pr_title": ("巡逻路线", "Patrol routes"),
        "pr_intro": (
            "点守、线巡：从守望岗出发，经过热点和重点目标，在班次内返回；线巡走遍网格的每条道路；"
            "随机排班；计划与实际轨迹对比。",
            "Guard points, patrol lines: routes from the posts through hot spots and key sites "
            "and back within the shift; line patrols over every street of a grid; randomised "
            "schedules; planned versus actual GPS tracks.",
        ),
        "pr_view": ("功能", "View"),
        "pr_view_routes": ("巡逻路线", "Routes"),
        "pr_view_line": ("线巡", "Line patrol"),
        "pr_view_schedule": ("随机排班", "Randomised schedules"),
        "pr_view_actual": ("计划与实际", "Planned vs actual"),
        "pr_stops": ("巡逻点位", "Stops"),
        "pr_use_hotspots": (
            "巡逻街道办移交的 {n} 个热点",
            "visit the street office's {n} hot spots",
        ),
        "pr_no_hotspots": (
            "工作区还没有热点图层：可在“预警与周报”页（周报与移交巡防）保存热点，或只选重点目标。",
            "The workspace has no hotspots layer yet: save hot spots on the Warnings & report "
            "page (report and hand-off), or "
            "choose key sites only.",
        ),
        "pr_no_sites": ("工作区没有重点目标图层。", "The workspace has no key sites layer."),
        "pr_site_kinds": ("按类型选择重点目标", "Key sites by kind"),
        "pr_sites": ("再加单个重点目标", "Add single key sites"),
        "pr_school_opens": ("学校上课时间", "School classes start"),
        "pr_school_closes": ("学校放学时间", "School dismissal"),
        "pr_start_posts": ("出发岗", "Start posts"),
        "pr_end_posts": ("返回岗（不选则回出发岗）", "End posts (empty: back to the start)"),
        "pr_units": ("巡逻单元数", "Units"),
        "pr_shift_start": ("班次开始", "Shift starts"),
        "pr_shift": ("班次时长（分钟）", "Shift (min)"),
        "pr_dwell": ("每个点位停留（分钟）", "Dwell per stop (min)"),
        "pr_dwell_help": (
            "Koper（1995）：在热点停留 10–15 分钟威慑效果最好，默认 12 分钟。",
            "Koper (1995): 10–15 minutes at a hot spot deter best; default 12 minutes.",
        ),
        "pr_time_limit": ("求解时间（秒）", "Solver time (s)"),
        "pr_required": ("所有点位必到", "Every stop is required"),
        "pr_required_help": (
            "不勾选时点位按优先级可选：时间不够时先舍弃优先级低的点位。",
            "Unticked, stops are optional by priority: when time runs out, low-priority stops are "
            "left out first.",
        ),
        "pr_solve": ("规划路线", "Plan routes"),
        "pr_press_solve": ("设置好后点按钮计算。", "Set the inputs and press the button."),
        "pr_inputs_changed": (
            "输入已更改，下面不再显示按旧输入算出的结果：请点“{button}”重新计算。",
            "The inputs have changed, so the result planned from the old inputs is no longer "
            "shown: press “{button}” to plan again.",
        ),
        "pr_solving": ("正在计算……", "Computing…"),
        "pr_m_visited": ("安排的点位", "Stops visited"),
        "pr_m_dropped": ("未安排的点位", "Stops left out"),
        "pr_m_km": ("总里程（公里）", "Total distance (km)"),
        "pr_m_travel": ("总路途（分钟）", "Total travel (min)"),
        "pr_m_longest": ("最长路线（分钟）", "Longest route (min)"),
        "pr_summary": ("各单元", "Per unit"),
        "pr_timetable": ("时刻表", "Timetable"),
        "pr_dropped": ("未安排的点位及原因", "Stops left out, and why"),
        "pr_download_unit": ("下载哪个单元的路线", "Download the route of unit"),
        "pr_sheet": ("路线单（可打印）", "Route sheet (printable)"),
        "pr_help": ("这些数字是什么意思？", "What do these figures mean?"),
        "pr_help_routes": (
            "**方法**：先在所选出行方式的道路网上把岗点和点位投影到最近的道路，用 Dijkstra 精确计"
            "算两两之间的通行时间；"
            "再用 PyVRP（Wouda、Lan、Kool 2024，混合遗传搜索）求解带奖励的多车辆、带时间窗的路径问"
            "题（prize-collecting VRPTW）："
            "每个点位的优先级 × 10 分钟是它的“价值”，路途时间加上舍弃点位的价值最小；每个单元的顺"
            "序再用 LKH-3（Helsgaun 2017）优化，"
            "并由独立的时刻表模拟检查时间窗和班次。\n\n"
            "**数字**：安排的点位和未安排的点位（及原因）；总里程为沿道路的长度；总路途为所有单元"
            "行走或行驶的时间（不含停留）；"
            "最长路线为从出发到返回最长的单元所用时间（含停留和等候）。学校的时间窗为上课前 30 分"
            "钟到放学后 30 分钟。",
            "**Method**: posts and stops are snapped to the nearest street of the chosen mode and "
            "the travel times between them "
            "computed exactly with Dijkstra; PyVRP (Wouda, Lan & Kool 2024, hybrid genetic "
            "search) then solves the prize-collecting "
            "vehicle routing problem with time windows for all units at once: a stop's priority × "
            "10 minutes is its value, and "
            "travel time plus the value of the stops left out is minimised; each unit's order is "
            "polished with LKH-3 (Helsgaun 2017) "
            "and checked by an independent timetable simulation (windows, shift).\n\n"
            "**Figures**: stops visited and left out (with why); total distance along the "
            "streets; total travel of all units "
            "(without dwell); longest route: the unit that takes longest from leaving to "
            "returning (dwell and waits included). "
            "A school's window runs from 30 minutes before classes to 30 minutes after dismissal.",
        ),
        "pr_no_grids": (
            "工作区没有网格图层：线巡需要网格。",
            "The workspace has no grids layer: line patrols need grids.",
        ),
        "pr_line_go": ("计算线巡路线", "Compute the line patrol"),
        "pr_m_line_km": ("线巡总长（公里）", "Walk length (km)"),
        "pr_m_street_km": ("网格内道路（公里）", "Streets in the grid (km)"),
        "pr_m_line_min": ("用时（分钟）", "Time (min)"),
        "pr_m_repeated": ("重复及连接路程（公里）", "Walked again or to connect (km)"),
        "pr_left_out": (
            "网格内有 {n} 段道路与其余道路不连通，未纳入线巡。",
            "{n} pieces of the grid's streets do not connect to the rest and are not in the walk.",
        ),
        "pr_help_line": (
            "**方法**：中国邮路问题（管梅谷 1962；Edmonds、Johnson 1973）：走遍网格内每条道路至少"
            "一次、回到起点的最短闭合路线。"
            "奇数度路口按最短路距离做最小权完美匹配，重复这些最短路后得到欧拉回路；驾车时按单行道"
            "方向求解有向版本。"
            "网格内道路本身不连通时，先用最短路把各部分连起来（最小生成树，乡村邮路的常用构造）。"
            "\n\n"
            "**数字**：线巡总长含重复走的路段和连接路段；用时按所选出行方式的速度计算（不含停留）"
            "。",
            "**Method**: the Chinese postman problem (Guan 1962; Edmonds & Johnson 1973): the "
            "shortest closed walk that covers "
            "every street of the grid at least once. Odd intersections are paired by a "
            "minimum-weight perfect matching of "
            "shortest-path distances; repeating those paths gives an Euler circuit. By car the "
            "directed version respects "
            "one-way streets. When the grid's streets are in several pieces they are first joined "
            "by shortest paths "
            "(a minimum spanning tree, the usual rural-postman construction).\n\n"
            "**Figures**: the walk's length includes streets walked again and the joins; the time "
            "uses the mode's speed "
            "(no stops).",
        ),
        "pr_post": ("岗点", "Post"),
        "pr_days": ("天数（1 = 一个班次）", "Days (1 = one shift)"),
        "pr_seed": ("随机种子", "Random seed"),
        "pr_every_2h": ("每个点位每 2 小时至少一次", "Every stop at least every 2 hours"),
        "pr_schedule_go": ("生成排班", "Make the schedule"),
        "pr_schedule_csv": ("排班表（CSV）", "Schedule (CSV)"),
        "pr_schedule_xlsx": ("排班表（Excel）", "Schedule (Excel)"),
        "pr_schedule_sheet_visits": ("到访", "Visits"),
        "pr_schedule_sheet_days": ("每天", "Days"),
        "pr_m_predictability": (
            "可预测性（0 = 最难预测）",
            "Predictability (0 = least predictable)",
        ),
        "pr_predictability_help": (
            "到访时间越分散越难被掌握规律。对每个点位，把到访时间按班次内 30 分钟分段，计算香农熵"
            "（Shannon 1948），再除以该点位的到访次数所能达到的最大熵；可预测性 = 1 − 按到访次数"
            "加权的平均值（用熵衡量巡逻的随机程度见 Paruchuri 等 2006，AAMAS）。"
            "**每天**的分数只看同一个班次内对同一点位的多次到访；一天只到访一次的点位无从分散，"
            "算作完全可预测（1）。**整个排班**的分数把所有天的到访合在一起：点位每天在不同时间被"
            "到访，合起来就更分散，所以整周通常比每一天都低——这正是每天换时间的效果。",
            "The more spread visit times are, the harder the patrol is to anticipate. For each "
            "stop, its visit times are put in 30-minute bins of the shift and their Shannon "
            "entropy (Shannon 1948) is divided by the largest entropy its number of visits "
            "allows; predictability = 1 − the visit-weighted mean (entropy as the measure of "
            "a patrol's randomness: Paruchuri et al. 2006, AAMAS). **A day's** score looks only "
            "at repeated visits to a stop within that shift; a stop visited once that day cannot "
            "be spread and counts as fully predictable (1). **The whole schedule's** score pools "
            "the visits of all days: a stop visited at different times on different days is "
            "more spread, so the week is usually lower than every single day — the effect of "
            "changing the times daily.",
        ),
        "pr_help_schedule": (
            "**方法**：随机贪心排班：每一步在仍能按时到达所有点位的候选中，按“风险份额与已到访次数"
            "之差”随机抽取下一个点位，"
            "因此到访次数与风险（优先级）成正比、顺序和时间每天不同；每次停留在 Koper 的 10–15 分"
            "钟内随机。"
            "勾选“每 2 小时至少一次”时，无法满足会给出原因。\n\n"
            "**数字**：每天和整个排班的可预测性（到访时间的熵，0 = 最难预测，1 = 每次同一时间），"
            "以及每天是否做到每 2 小时至少一次。",
            "**Method**: a randomised greedy schedule: at each step the next stop is drawn among "
            "those that keep every stop's "
            "deadline, with probability by its shortfall against a risk-proportional share of "
            "visits, so visits follow risk "
            "(priority) while order and times change daily; each dwell is drawn in Koper's 10–15 "
            "minute window. With "
            "“every 2 hours” a schedule that cannot keep it is refused with the reason.\n\n"
            "**Figures**: each day's and the whole schedule's predictability (entropy of visit "
            "times: 0 = least predictable, "
            "1 = always the same time), and whether each day visited every stop at least every 2 "
            "hours.",
        ),
        "pr_track_source": ("轨迹来源", "Track from"),
        "pr_track_upload": ("上传 GPX 或 CSV", "Upload GPX or CSV"),
        "pr_track_synthetic": ("合成的一周轨迹（演示）", "A synthetic week (demonstration)"),
        "pr_track_layer": ("工作区的轨迹图层", "The workspace's tracks layer"),
        "pr_track_file": (
            "GPS 轨迹（GPX；或 CSV：时间、经度、纬度，可含单元列）",
            "GPS track (GPX; or CSV with time, lon, lat and an optional unit column)",
        ),
        "pr_track_wait": ("请上传轨迹文件。", "Upload a track file."),
        "pr_synthetic_note": (
            "两个单元一周的合成轨迹，由程序按点位随机生成，仅作演示，不是真实警务数据。",
            "A synthetic week of two units' tracks, generated between the stops for "
            "demonstration: not real police data.",
        ),
        "pr_synthetic_label": (
            "合成数据：以下数字不是真实巡逻。",
            "Synthetic data: these figures are not a real patrol.",
        ),
        "pr_m_koper": ("10–15 分钟的到访占比", "Visits of 10–15 min"),
        "pr_m_per2h": ("每点位每 2 小时到访", "Visits per stop per 2 hours"),
        "pr_m_streets": ("走过的道路（长度占比）", "Streets covered (by length)"),
        "pr_m_stops": ("到过的计划点位", "Planned stops visited"),
        "pr_m_sites": ("经过的重点目标", "Key sites passed"),
        "pr_help_actual": (
            "**方法**：先去掉无时间戳的定位点和超出合理速度的跳点（步行 4 米/秒，骑行 10，驾车 35"
            "）。"
            "热点内停留 = 相邻两个定位点都在热点内的时间之和；一次到访 = 连续在热点内的一段（Koper"
            " 曲线：10–15 分钟最佳）。"
            "没有热点图层时，以计划点位周围 50 米为范围。道路 25 米内有定位点算走过；计划点位和重"
            "点目标 30 米内算到过。\n\n"
            "**数字**：10–15 分钟到访的占比、平均每个点位每 2 小时的到访次数、走过道路的长度占比、"
            "到过的计划点位占比、经过的重点目标个数。",
            "**Method**: fixes without a timestamp and jumps faster than plausible (walking 4 "
            "m/s, cycling 10, driving 35) are "
            "dropped. Time at a hot spot = the intervals whose two fixes are both inside; a visit "
            "= a run of fixes inside "
            "(the Koper curve: 10–15 minutes is best). Without a hotspots layer a planned stop's "
            "50 m circle is its area. A "
            "street with a fix within 25 m counts as covered; stops and key sites within 30 m as "
            "visited.\n\n"
            "**Figures**: share of visits of 10–15 minutes, visits per stop per 2 hours, share of "
            "street length covered, "
            "share of planned stops visited, key sites passed.",
        ),
    }
)
