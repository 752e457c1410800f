"""Texts of the Coverage & posts page (覆盖与站点): map edits, key sites by class, polygons,
key-site inspections."""

TEXT = {
    "pp_view_inspect": ("重点目标巡查", "Key-site inspections"),
    # coverage view
    "pp_by_class": ("重点目标按响应等级", "Key sites by response class"),
    "pp_col_n_sites": ("目标数", "Sites"),
    "pp_col_in_class": ("等级内到达", "Reached in class"),
    "pp_col_median_min": ("中位到达（分钟）", "Median (min)"),
    "pp_col_slowest_min": ("最慢到达（分钟）", "Slowest (min)"),
    "pp_polygons": ("同时以面显示服务区", "Also show service areas as polygons"),
    "pp_area_layer": ("{m} 分钟服务区（面）", "{m}-minute service area (polygon)"),
    # editing on the map
    "pp_edit_layer": ("编辑图层", "Edit"),
    "pp_sites_layer": ("重点目标", "Key sites"),
    "pp_site_action_add": ("新增重点目标", "Add a key site"),
    "pp_site_action_move": ("移动重点目标", "Move a key site"),
    "pp_site_action_remove": ("删除重点目标", "Remove a key site"),
    "pp_place_click": ("在地图上点击", "Click on the map"),
    "pp_click_hint": (
        "在左侧地图上点击新位置，随后显示调整前后的覆盖对比。",
        "Click the new place on the map on the left; the coverage before and after follows.",
    ),
    "pp_clicked": (
        "已选位置：经度 {lon}，纬度 {lat}",
        "Chosen place: longitude {lon}, latitude {lat}",
    ),
    "pp_new_kind": ("岗位类型", "Kind of post"),
    "pp_staff": ("警力（人）", "Staff"),
    "pp_new_site_name": ("新重点目标名称", "Name of the new key site"),
    "pp_new_site_default": ("新重点目标", "New key site"),
    "pp_site_kind": ("目标类型", "Kind of site"),
    "pp_save_sites": ("保存为重点目标图层新版本", "Save as a new version of the sites layer"),
    "pp_saved_sites": (
        "已保存为重点目标第 {version} 版（{n} 个重点目标）",
        "Saved as sites version {version} ({n} key sites)",
    ),
    "pp_conflict": ("未保存：", "Not saved:"),
    "pp_conflict_kept": (
        "您的修改仍保留：上方的对比已按当前最新版本重新计算，确认后再次点击保存即可应用到该版本。",
        "Your edit is kept: the comparison above is now computed on the latest version; "
        "press save again to apply it there.",
    ),
    "pp_help_edit": (
        "保存时以您预览时的版本为基础；若期间他人已保存新版本，系统会拒绝覆盖并保留您的修改。",
        "Saving is based on the version you previewed; if someone saved a newer one "
        "meanwhile, nothing is overwritten and your edit is kept.",
    ),
    "pp_changed_site_layer": ("新增或移动的重点目标", "Added or moved key site"),
    # the what-if laid over the map
    "pp_old_place": ("原位置", "old place"),
    "pp_removed": ("假设撤销", "removed in this what-if"),
    "pp_old_place_layer": ("原位置 / 假设撤销（✕）", "Old place / removed (✕)"),
    "pp_now_within_layer": ("调整后在等级内到达的重点目标", "Key site now reached in class"),
    # siting results
    "pp_col_proposed": ("建议岗位（路口编号）", "Proposed post (intersection)"),
    "pp_col_at_streets": ("路口所在道路", "Streets meeting there"),
    "pp_col_degree": ("相交路段数", "Streets joined"),
    "pp_col_greedy_too": ("贪心解也选中", "Greedy chose it too"),
    "pp_siting_rows_mclp": (
        "各行：现有岗位已覆盖的事件占比；加上建议岗位后的覆盖占比；两者之差（新增覆盖）。"
        "“求解器”列为精确解，“贪心”列为逐个选最多新增覆盖路口的近似解，用于对比。",
        "Rows: the share of incidents the current posts reach; the share reached with the "
        "proposed posts added; the difference (the gain). The solver's column is the exact "
        "answer, the greedy column an approximation (the intersection adding most, one at a "
        "time) to compare.",
    ),
    "pp_siting_rows_lscp": (
        "各行：使每个重点目标在自身响应等级内可达所需的最少新增岗位数；“任何路口都无法按时"
        "到达的目标”是即使在任一路口设岗也无法在其等级时间内到达的重点目标（不计入求解，需"
        "改用更快的方式或调整其响应等级）。“求解器”为精确解，“贪心”为近似解，用于对比。",
        "Rows: the fewest new posts so every key site is reached within its own response "
        "class; the key sites no intersection can reach in time are those no post at any "
        "intersection would reach within their class (left out of the solve: use a faster "
        "mode or review their class). The solver's column is exact, the greedy one an "
        "approximation to compare.",
    ),
    "pp_lscp_many": (
        "集合覆盖要求每个重点目标都按等级可达，因此需要 {n} 个新岗位。若岗位过多：改用更快的"
        "出警方式（骑行、驾车），核实 1 分钟等级的目标是否必要，或改用“最大覆盖”在固定岗位数下"
        "覆盖尽可能多的目标与事件。",
        "Set covering reaches every key site within its class, so it needs {n} new posts. "
        "If that is too many: choose a faster mode (bike, car), check which sites truly need "
        "the 1-minute class, or use maximal covering to reach the most with a fixed number "
        "of posts.",
    ),
    "pp_grid_outline": ("网格边界", "Grid outlines"),
    "pp_try_pick": ("建议岗位", "Proposed post"),
    "pp_try": ("在“假设调整岗位”中试用", "Try it in the what-if"),
    "pp_unnamed": ("（无名道路）", "(unnamed)"),
    "pp_removing": ("预览：撤销 {name}", "Preview: removing {name}"),
    # key-site inspections
    "pp_tracks": ("巡逻轨迹来源", "Patrol tracks"),
    "pp_tracks_layer": ("工作空间的巡逻轨迹图层（tracks）", "The workspace's tracks layer"),
    "pp_tracks_upload": ("上传 GPS 轨迹（GPX/CSV）", "Upload GPS tracks (GPX/CSV)"),
    "pp_tracks_demo": ("合成的一周演示轨迹", "A synthetic demonstration week"),
    "pp_tracks_files": (
        "GPS 轨迹文件（GPX，或含时间、经度、纬度列的 CSV）",
        "GPS track files (GPX, or CSV with time, lon, lat columns)",
    ),
    "pp_tracks_synthetic": (
        "两个巡逻组一周的合成轨迹（随机生成，非真实巡逻），仅作演示。",
        "A synthetic week of two units' tracks (generated, not real patrols): a "
        "demonstration only.",
    ),
    "pp_tracks_needed": (
        "上传巡逻轨迹后，显示在所选天数内无人巡查的重点目标。",
        "Upload patrol tracks to see the key sites nobody visited within the chosen days.",
    ),
    "pp_inspect_days": ("巡查周期（天）", "Inspection interval (days)"),
    "pp_fig_overdue": ("超期未巡查", "Overdue"),
    "pp_fig_visited": ("按期巡查", "Visited in time"),
    "pp_never_visited": ("从未巡查", "Never visited"),
    "pp_visited_within": ("{days} 天内已巡查", "visited within {days} days"),
    "pp_overdue": ("超过 {days} 天未巡查", "not visited for over {days} days"),
    "pp_overdue_list": ("超过 {days} 天未巡查的重点目标", "Key sites not visited for {days} days"),
    "pp_inspections": ("重点目标巡查", "Key-site inspections"),
    "pp_fixes_layer": ("GPS 定位点", "GPS fixes"),
    "pp_col_kind": ("类型", "Kind"),
    "pp_col_last_visit": ("最近巡查", "Last visit"),
    "pp_col_days_since": ("距今天数", "Days since"),
    "pp_never": ("从未", "never"),
}

MESSAGES = {
    "pp_help_standard": (
        "来源：1、3、5 分钟分级响应取自公安部推行的街面“1、3、5 分钟”快速反应圈做法，本页把它"
        "作为约定；分钟数是沿道路的出警时间，具体测算方法并非某一文件所规定。",
        "Source: the 1, 3 and 5 minute classes follow the \u201c1-3-5 minute\u201d "
        "rapid-response circles of street policing that the Ministry of Public Security "
        "promotes; this page takes them as its convention. The minutes are travel times "
        "along the streets: no one document sets this way of measuring them.",
    ),
    "pp_help_whatif_click": (
        "新位置默认在左侧地图上点击选取：每次点击即按新位置重新计算对比，地图上橙色大圆点为"
        "新位置，灰色虚线圆为原位置，灰色带 ✕ 的为假设撤销的岗位，变化的路段按新的分钟数着色。",
        "By default the new place is a click on the map on the left: each click recomputes "
        "the comparison for that place. On the map the large orange dot is the new place, "
        "the grey dashed ring the old one, a grey dot with ✕ a post removed in the what-if, "
        "and the streets that change take their new colours.",
    ),
    "pp_help_inspect": (
        "巡逻组的 GPS 定位点距重点目标 30 米以内即记为一次巡查（GPS 在楼宇间误差约 5–20 米）。"
        "列出在所选天数内（从轨迹中最晚的时间往回数）没有任何巡查记录的重点目标，最久未巡查的"
        "在前。轨迹先去除无时间的点和速度超过 35 米/秒的跳点。",
        "A GPS fix of any unit within 30 m of a key site counts as a visit (GPS error "
        "between buildings is about 5–20 m). Listed are the key sites with no visit within "
        "the chosen number of days, counted back from the latest fix of the tracks, longest "
        "overdue first. Fixes without a time and jumps faster than 35 m/s are dropped first.",
    ),
}
