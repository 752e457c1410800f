"""Interface text in Chinese and English.

Every label, legend and message the app shows comes from :data:`TEXT`, so a page never
hard-codes one language. Keys are stable English identifiers.

The library's own messages to users (import warnings, errors) are :class:`Message` objects:
strings that read as English wherever they are printed (the CLI, logs, tests) but carry a
key and values from :data:`MESSAGES`, so the app can show them in Chinese with
:func:`localize`.
"""

from __future__ import annotations

from typing import Literal

from gridmap.schema import LAYERS

Lang = Literal["zh", "en"]
LANGUAGES: dict[str, str] = {"zh": "中文", "en": "English"}

TEXT: dict[str, tuple[str, str]] = {
    # app and sidebar
    "workspace": ("工作空间", "Workspace"),
    "new_workspace": ("新建工作空间名称", "New workspace name"),
    "create": ("创建", "Create"),
    "area": ("范围", "Area"),
    "street": ("街道", "Street"),
    "community": ("社区", "Community"),
    "grid": ("网格", "Grid"),
    "all": ("全部", "All"),
    "page_overview": ("总览", "Overview"),
    "page_data": ("数据", "Data"),
    "attribution": (
        "底图数据 © OpenStreetMap 贡献者，ODbL 许可",
        "Map data © OpenStreetMap contributors, ODbL",
    ),
    "synthetic_notice": (
        "样例中的事件为合成数据（按公开规律生成），并非真实警情。",
        "Incidents in the sample are synthetic (generated from a documented model), not real.",
    ),
    "synthetic_short": ("合成数据，非真实警情", "synthetic data, not real"),
    "colour_cells": ("事件密度（100米格）", "Incident density (100 m cells)"),
    "layer_table": ("图层属性表", "Layer table"),
    "first_rows": ("前 {n} 行", "first {n} rows"),
    "empty_workspace": (
        "这个工作空间还没有数据：请到“数据”页导入。",
        "This workspace has no data yet: import some on the Data page.",
    ),
    # overview
    "households": ("户数", "Households"),
    "population": ("人口", "Population"),
    "grids": ("网格数", "Grids"),
    "incidents": ("事件", "Incidents"),
    "incidents_30d": ("近30天事件", "Incidents, last 30 days"),
    "vs_previous": ("较前30天", "vs previous 30 days"),
    "reference_date": ("统计截止日期", "Count up to"),
    "colour_by": ("网格着色", "Colour grids by"),
    "incident_cells": ("事件密度（100米格）", "Incident density (100 m cells)"),
    "sites": ("重点目标", "Key sites"),
    "posts": ("守望岗", "Sentinel posts"),
    "sites_and_posts": ("重点目标与守望岗", "Key sites and posts"),
    "streets": ("道路", "Streets"),
    "legend_households": ("网格户数", "Households per grid"),
    "legend_incidents": ("网格事件数（近30天）", "Incidents per grid (last 30 days)"),
    "legend_cells": ("每格事件数", "Incidents per cell"),
    "by_category": ("分类统计", "By category"),
    "category": ("类别", "Category"),
    "current": ("近30天", "Last 30 days"),
    "previous": ("前30天", "Previous 30 days"),
    "change": ("变化", "Change"),
    "total": ("合计", "Total"),
    "loading_map": ("正在准备地图…", "Preparing the map…"),
    "grid_table": ("网格一览", "Grids"),
    # data page
    "upload": ("上传文件", "Upload a file"),
    "upload_help": (
        "GeoJSON、GeoPackage、Shapefile（zip）、CSV、Excel（.xlsx）；编码自动识别（UTF-8/GBK）",
        "GeoJSON, GeoPackage, zipped Shapefile, CSV, Excel (.xlsx); encoding detected (UTF-8/GBK)",
    ),
    "target_layer": ("导入到图层", "Import into layer"),
    "source_crs": ("坐标系", "Coordinate system"),
    "encoding": ("编码", "Encoding"),
    "more_options": ("更多选项", "More options"),
    "sheet": ("工作表", "Worksheet"),
    "source_layer": ("文件中的图层", "Layer in the file"),
    "timezone": ("时区", "Time zone"),
    "timezone_auto": ("自动（按多数时间的时差）", "automatic (the offset most times use)"),
    "timezone_help": (
        "带时差的时间（如 +08:00、Z）换算到此时区；不带时差的时间保持原样",
        "Times with an offset (+08:00, Z) are converted to this zone; others are kept as written",
    ),
    "auto": ("自动", "automatic"),
    "columns": ("字段对应", "Columns"),
    "preview": ("预览", "Preview"),
    "check": ("检查", "Check"),
    "good_rows": ("可导入行", "Good rows"),
    "rejected_rows": ("拒绝行", "Rejected rows"),
    "good_rows_preview": ("可导入行预览（前20行）", "Good rows (first 20)"),
    "rejection_report": ("拒绝原因", "Rejection report"),
    "reject_row": ("行号", "Row"),
    "reject_reason": ("原因", "Reason"),
    "detail": ("详情", "Detail"),
    "download_rejects": ("下载拒绝行（CSV）", "Download rejected rows (CSV)"),
    "warnings": ("提示", "Warnings"),
    "mode": ("方式", "Mode"),
    "append": ("追加", "Append"),
    "replace": ("替换", "Replace"),
    "commit": ("提交到工作空间", "Commit to workspace"),
    "committed": (
        "已保存为 {layer} 第 {version} 版（{n} 条）",
        "Saved as {layer} version {version} ({n} features)",
    ),
    "message": ("说明", "Message"),
    "author": ("操作人", "Author"),
    "layers": ("图层", "Layers"),
    "features": ("要素数", "Features"),
    "version": ("版本", "Version"),
    "export": ("导出", "Export"),
    "format": ("格式", "Format"),
    "download": ("下载", "Download"),
    "history": ("版本历史", "Version history"),
    "restore": ("恢复此版本", "Restore this version"),
    "restored": ("已恢复：{layer} 第 {version} 版", "Restored: {layer} version {version}"),
    "when": ("时间", "When"),
    "action": ("操作", "Action"),
    "import_failed": ("无法导入：{error}", "Cannot import: {error}"),
    "reading_file": ("正在读取文件…", "Reading the file…"),
    "writing": ("正在写入工作空间…", "Writing to the workspace…"),
    "no_layers": ("暂无图层", "No layers yet"),
    # basemap settings
    "basemap": ("底图", "Basemap"),
    "basemap_vector": (
        "离线矢量底图（本工作空间道路与建筑）",
        "Offline vector (workspace streets and buildings)",
    ),
    "basemap_osm": ("OpenStreetMap 在线瓦片", "OpenStreetMap tiles (online)"),
    "basemap_tianditu": ("天地图（需密钥）", "Tianditu (needs a key)"),
    "basemap_amap": ("高德地图（GCJ-02，数据自动偏移）", "Amap (GCJ-02; data shifted to match)"),
    "basemap_custom": ("自定义瓦片地址", "Custom tile URL"),
    "tile_url": (
        "瓦片地址（含 {z}/{x}/{y}，可为内网镜像）",
        "Tile URL with {z}/{x}/{y} (an intranet mirror works)",
    ),
    "tile_key": ("密钥", "Key"),
    "basemap_error": ("底图设置有误：{error}", "Basemap setting is wrong: {error}"),
    # app safety: editor names, workspace names
    "editor": ("编辑人（您的姓名）", "Editor (your name)"),
    "editor_help": (
        "记录在每次导入和恢复的版本历史中，并保存在本浏览器。账户功能上线前，此姓名未经验证。",
        "Recorded in the version history of every import and restore, and remembered in this "
        "browser. Until accounts exist, the name is not verified.",
    ),
    "editor_needed": (
        "请先在侧边栏填写编辑人姓名：每次保存和恢复都会记录是谁做的。",
        "Enter your name as editor in the sidebar first: every save and restore records who "
        "made it.",
    ),
    "author_unverified": ("{name}（未验证）", "{name} (unverified)"),
    "new_workspace_help": (
        "只能使用字母、数字、汉字、“-”和“_”；工作空间保存在服务器的工作空间文件夹中。",
        "Letters, digits, Chinese characters, '-' and '_' only; workspaces are kept in the "
        "server's workspace folder.",
    ),
    # own city: optional columns, the workspace's credit
    "legend_population": ("网格人口", "Population per grid"),
    "data_credit": ("数据：{name}", "Data: {name}"),
    # data page: a workspace of one's own, status, history, uploader
    "new_workspace_from_file": ("新工作空间名称", "Name of the new workspace"),
    "new_workspace_by_administrator": (
        "已登录的账号不能自行新建工作空间：新工作空间（及其账号）请联系管理员用命令行建立。",
        "A signed-in account cannot make a workspace of its own: ask an administrator to "
        "create the new workspace (and its accounts) from the command line.",
    ),
    "create_and_import": ("新建工作空间并导入", "Create the workspace and import"),
    "created_and_imported": (
        "已新建工作空间“{workspace}”，并导入 {layer} {n} 条",
        "Created workspace '{workspace}' and imported {layer}: {n} features",
    ),
    "read_done": ("文件已读取", "File read"),
    "write_done": ("已写入工作空间", "Written to the workspace"),
    "action_write": ("写入", "write"),
    "action_restore": ("恢复", "restore"),
    "upload_drop": ("将文件拖放到此处", "Drag and drop a file here"),
    "upload_browse": ("选择文件", "Browse files"),
    "upload_limit": ("每个文件不超过 {mb} MB", "Limit {mb} MB per file"),
    "tile_key_needed": (
        "请填写天地图密钥；在此之前使用离线矢量底图。",
        "Enter the Tianditu key; until then the offline vector basemap is used.",
    ),
    "tile_url_needed": (
        "请填写瓦片地址；在此之前使用离线矢量底图。",
        "Enter the tile URL; until then the offline vector basemap is used.",
    ),
    # -- street office pages (app_pages/heatmaps.py, app_pages/warnings_report.py)
    "page_heatmaps": ("热力分析", "Heatmaps"),
    "page_warnings": ("预警与周报", "Warnings & report"),
    "hs_dates": ("日期范围", "Date range"),
    "hs_categories": ("类别", "Categories"),
    "hs_sources": ("来源", "Sources"),
    "hs_hours": ("时段（小时）", "Hours of day"),
    "hs_weekdays": ("星期", "Weekdays"),
    "hs_selected": (
        "已选 {n:,} 条事件（{start} 至 {end}，共 {days} 天）",
        "{n:,} incidents selected ({start} to {end}, {days} days)",
    ),
    "hs_nothing_chosen": (
        "没有选中任何类别、来源、星期或时段：请在上方至少选择一项。",
        "Nothing is selected (categories, sources, weekdays or hours): choose at least one above.",
    ),
    "hs_no_incidents": (
        "所选范围内没有事件：请放宽日期、类别或范围。",
        "No incidents in this selection: widen the dates, categories or area.",
    ),
    "hs_no_incident_layer": (
        "这个工作空间没有事件图层：请到“数据”页导入事件。",
        "This workspace has no incidents: import them on the Data page.",
    ),
    "hs_no_grids": (
        "这个工作空间没有网格图层：按网格的统计、预警和诉求时效需要网格，请到“数据”页导入。",
        "This workspace has no grids: per-grid counts, warnings and request deadlines need "
        "them; import grids on the Data page.",
    ),
    "hs_view": ("分析视图", "View"),
    "hs_view_density": ("核密度热力图", "Density (KDE)"),
    "hs_view_grids": ("网格统计与变化", "Grids: counts & change"),
    "hs_view_gi": ("热点（Gi*）", "Hot spots (Gi*)"),
    "hs_view_emerging": ("新兴热点", "Emerging hot spots"),
    "hs_view_time": ("时段分布", "Hour × weekday"),
    "hs_view_repeats": ("重复地点与近重复", "Repeats & near repeats"),
    "hs_view_streets": ("路段集中度", "Street segments"),
    "hs_view_warnings": ("预警", "Early warnings"),
    "hs_view_requests": ("民生诉求时效", "Citizen-request deadlines"),
    "hs_view_report": ("周报与移交巡防", "Weekly report & hand-off"),
    "hs_method": ("这张图说明什么？方法来源", "What this shows, and where the method comes from"),
    "hs_bandwidth": ("带宽（米）", "Bandwidth (m)"),
    "hs_auto_bandwidth": ("自动（Silverman 规则 ≈ {metres} 米）", "Auto (Silverman ≈ {metres} m)"),
    "hs_auto": ("自动", "Auto"),
    "hs_density_layer": ("事件核密度", "Incident density"),
    "hs_density_legend": ("每周每平方公里事件数", "Incidents per km² per week"),
    "hs_bandwidth_note": ("带宽 {metres} 米", "bandwidth {metres} m"),
    "hs_peak": ("峰值（每周每平方公里）", "Peak (per km² per week)"),
    "hs_used_bandwidth": ("带宽（米）", "Bandwidth (m)"),
    "hs_incidents_used": ("参与计算的事件", "Incidents used"),
    "hs_measure": ("网格着色", "Colour grids by"),
    "hs_measure_count": ("事件数", "Incidents"),
    "hs_measure_rate": ("每千户事件数", "Incidents per 1,000 households"),
    "hs_measure_change": ("较上一等长时段变化", "Change vs previous equal period"),
    "hs_rate_unavailable": (
        "网格没有户数，无法计算每千户事件数。",
        "The grids record no households, so no rate per 1,000 households.",
    ),
    "hs_significant_layer": ("显著变化（p<0.05）", "Significant change (p<0.05)"),
    "hs_sig_up": ("显著上升", "Significantly up"),
    "hs_sig_down": ("显著下降", "Significantly down"),
    "hs_highlight": ("选中的网格", "Chosen grid"),
    "hs_ranking": (
        "网格排名（点选一行在地图上突出显示）",
        "Grid ranking (pick a row to highlight it)",
    ),
    "hs_col_grid_code": ("网格编码", "Grid code"),
    "hs_col_name": ("名称", "Name"),
    "hs_col_current": ("本期", "This period"),
    "hs_col_previous": ("上期", "Previous period"),
    "hs_col_change": ("变化", "Change"),
    "hs_col_change_pct": ("变化率 %", "Change %"),
    "hs_col_rate": ("每千户", "Per 1,000 households"),
    "hs_col_p": ("p值", "p-value"),
    "hs_col_significant": ("显著", "Significant"),
    "hs_col_count": ("事件数", "Incidents"),
    "hs_col_top_category": ("主要类别", "Main category"),
    "hs_col_first": ("首次", "First"),
    "hs_col_last": ("最近", "Last"),
    "hs_col_level": ("级别", "Level"),
    "hs_col_reason": ("原因", "Reason"),
    "hs_col_observed": ("本期数", "Observed"),
    "hs_col_expected": ("基线均值", "Baseline mean"),
    "hs_col_requests": ("诉求数", "Requests"),
    "hs_col_closed": ("已办结", "Closed"),
    "hs_col_closure_rate": ("办结率 %", "Closure rate %"),
    "hs_col_on_time_rate": ("按时办结率 %", "On-time rate %"),
    "hs_col_overdue": ("超期未办结", "Overdue"),
    "hs_col_callback_rate": ("15分钟回访率 %", "15-min callback rate %"),
    "hs_col_incident": ("事件编号", "Incident id"),
    "hs_col_category": ("类别", "Category"),
    "hs_col_received": ("受理时间", "Received"),
    "hs_col_deadline": ("期限", "Deadline"),
    "hs_col_hours_overdue": ("超期小时", "Hours overdue"),
    "hs_cell_size": ("格网大小（米）", "Cell size (m)"),
    "hs_cell_shape": ("格网形状", "Cell shape"),
    "hs_shape_square": ("正方形", "Square"),
    "hs_shape_hexagon": ("六边形", "Hexagon"),
    "hs_gi_layer": ("热点（Gi*）", "Hot spots (Gi*)"),
    "hs_gi_legend": ("Gi* 热点（{size} 米格网，FDR校正）", "Gi* hot spots ({size} m cells, FDR)"),
    "hs_gi_3": ("热点 99% 置信", "Hot spot, 99% confidence"),
    "hs_gi_2": ("热点 95% 置信", "Hot spot, 95% confidence"),
    "hs_gi_1": ("热点 90% 置信", "Hot spot, 90% confidence"),
    "hs_gi_0": ("不显著", "Not significant"),
    "hs_gi_-1": ("冷点 90% 置信", "Cold spot, 90% confidence"),
    "hs_gi_-2": ("冷点 95% 置信", "Cold spot, 95% confidence"),
    "hs_gi_-3": ("冷点 99% 置信", "Cold spot, 99% confidence"),
    "hs_gi_counts": ("各类格网数", "Cells per class"),
    "hs_gi_none": ("事件太少，无法做热点分析。", "Too few incidents for a hot-spot analysis."),
    "hs_forecast": (
        "预测准确度（上4周热点预测下1周）",
        "Forecast accuracy (last 4 weeks' hot spots → next week)",
    ),
    "hs_pai": ("PAI（预测准确指数）", "PAI (predictive accuracy index)"),
    "hs_hit_rate": ("命中率", "Hit rate"),
    "hs_forecast_weeks": ("检验周数", "Weeks tested"),
    "hs_forecast_none": (
        "时段太短，无法检验预测准确度（至少需要5周）。",
        "The span is too short to test forecasts (it needs at least 5 weeks).",
    ),
    "hs_emerging_layer": ("新兴热点", "Emerging hot spots"),
    "hs_emerging_legend": ("新兴热点模式（{weeks} 周）", "Emerging patterns ({weeks} weeks)"),
    "hs_emerging_none": (
        "新兴热点分析至少需要3周的事件：请加长日期范围。",
        "Emerging hot spot analysis needs at least 3 weeks: widen the date range.",
    ),
    "hs_pattern_counts": ("各模式格网数", "Cells per pattern"),
    "hs_pattern_new_hot_spot": ("新热点", "New hot spot"),
    "hs_pattern_consecutive_hot_spot": ("连续热点", "Consecutive hot spot"),
    "hs_pattern_intensifying_hot_spot": ("加剧热点", "Intensifying hot spot"),
    "hs_pattern_persistent_hot_spot": ("持续热点", "Persistent hot spot"),
    "hs_pattern_diminishing_hot_spot": ("减弱热点", "Diminishing hot spot"),
    "hs_pattern_sporadic_hot_spot": ("零星热点", "Sporadic hot spot"),
    "hs_pattern_oscillating_hot_spot": ("振荡热点", "Oscillating hot spot"),
    "hs_pattern_historical_hot_spot": ("历史热点", "Historical hot spot"),
    "hs_pattern_new_cold_spot": ("新冷点", "New cold spot"),
    "hs_pattern_consecutive_cold_spot": ("连续冷点", "Consecutive cold spot"),
    "hs_pattern_intensifying_cold_spot": ("加剧冷点", "Intensifying cold spot"),
    "hs_pattern_persistent_cold_spot": ("持续冷点", "Persistent cold spot"),
    "hs_pattern_diminishing_cold_spot": ("减弱冷点", "Diminishing cold spot"),
    "hs_pattern_sporadic_cold_spot": ("零星冷点", "Sporadic cold spot"),
    "hs_pattern_oscillating_cold_spot": ("振荡冷点", "Oscillating cold spot"),
    "hs_pattern_historical_cold_spot": ("历史冷点", "Historical cold spot"),
    "hs_pattern_no_pattern": ("无模式", "No pattern"),
    "hs_time_title": ("事件时段分布：{category}", "When incidents happen: {category}"),
    "hs_time_category": ("图表类别", "Chart category"),
    "hs_time_weekday": ("地图只看星期", "Map: weekday"),
    "hs_time_hour": ("地图只看小时", "Map: hour"),
    "hs_time_cell_map": ("所选时段的核密度", "Density in the chosen hour and weekday"),
    "hs_tolerance": ("同一地点的距离（米）", "Same place within (m)"),
    "hs_repeats_layer": ("重复发生地点", "Repeat places"),
    "hs_repeats_none": ("没有重复发生的地点。", "No place with repeated incidents."),
    "hs_knox": ("近重复检验（Knox）", "Near-repeat test (Knox)"),
    "hs_knox_category": ("检验的类别", "Category to test"),
    "hs_knox_pick": ("选择一个类别开始检验", "Pick a category to run the test"),
    "hs_knox_ratio": ("Knox 比值（观测 ÷ 随机期望）", "Knox ratio (observed ÷ expected by chance)"),
    "hs_knox_p": ("p值（蒙特卡洛 {n} 次置换）", "p-value ({n} Monte Carlo permutations)"),
    "hs_knox_refused": ("无法检验：{error}", "Cannot run the test: {error}"),
    "hs_network": ("路网", "Network"),
    "hs_network_walk": ("步行路网", "Walking network"),
    "hs_network_drive": ("车行路网", "Driving network"),
    "hs_share_50": ("容纳50%事件的路段比例", "Segments holding 50% of incidents"),
    "hs_share_25": ("容纳25%事件的路段比例", "Segments holding 25% of incidents"),
    "hs_share_any": ("有事件的路段比例", "Segments with any incident"),
    "hs_gini": ("基尼系数", "Gini"),
    "hs_segments_layer": ("集中了一半事件的路段", "Segments holding half the incidents"),
    "hs_segments_entry": ("{n} 条路段", "{n} segments"),
    "hs_no_streets": ("这个工作空间没有道路图层。", "This workspace has no streets layer."),
    "hs_warnings_layer": ("预警网格", "Warning grids"),
    "hs_warnings_none": (
        "所选范围最近7天没有预警。",
        "No early warning in the last 7 days of the selection.",
    ),
    "hs_warnings_caption": (
        "最近7天（截至 {end}）与此前8周基线比较。",
        "The last 7 days (up to {end}) against the 8 weeks before.",
    ),
    "hs_requests_none": (
        "所选范围内没有民生诉求（12345）。",
        "No citizen requests (12345) in the selection.",
    ),
    "hs_requests_total": ("诉求数", "Requests"),
    "hs_overdue_list": ("超期未办结诉求", "Overdue requests"),
    "hs_overdue_layer": ("超期诉求", "Overdue requests"),
    "hs_report": ("周报（Excel + 地图 PNG）", "Weekly report (Excel + PNG maps)"),
    "hs_report_week": ("截至 {end} 的一周", "The week up to {end}"),
    "hs_report_prepare": ("生成周报", "Prepare the report"),
    "hs_report_download": ("下载周报（zip）", "Download the report (zip)"),
    "hs_handoff": ("移交巡防：保存热点图层", "Hand-off to patrol: save the hot-spot layer"),
    "hs_handoff_preview": (
        "将保存 {n} 个区域：{kinds}",
        "{n} areas will be saved: {kinds}",
    ),
    "hs_handoff_save": (
        "保存为热点图层新版本",
        "Save as a new version of the hotspots layer",
    ),
    "hs_handoff_saved": (
        "已保存为 hotspots 第 {version} 版（{n} 个区域）",
        "Saved as hotspots version {version} ({n} areas)",
    ),
    "hs_handoff_empty": (
        "当前选择下没有热点或预警可移交。",
        "No hot spot or warning to hand over in this selection.",
    ),
    "hs_kind_gi_star": ("Gi*热点格网", "Gi* hot cells"),
    "hs_kind_emerging": ("新兴热点格网", "emerging hot-spot cells"),
    "hs_kind_warning": ("预警网格", "warning grids"),
    "crs_not_chosen": ("未选择（需要时询问）", "not chosen (asked when needed)"),
    "crs_pick": ("文件所用的坐标系", "The file's coordinate system"),
    # -- police pages: Coverage & posts
    "page_coverage": ("覆盖与站点", "Coverage & posts"),
    "pp_mode": ("出警方式", "Travel mode"),
    "pp_mode_posts": ("按各岗位登记的方式", "Each post's own mode"),
    "pp_mode_walk": ("步行", "Walking"),
    "pp_mode_bike": ("骑行", "Cycling"),
    "pp_mode_car": ("驾车", "Driving"),
    "pp_view": ("视图", "View"),
    "pp_view_coverage": ("1-3-5 分钟覆盖", "1-3-5 minute coverage"),
    "pp_view_gaps": ("覆盖盲区", "Gaps"),
    "pp_view_whatif": ("假设调整岗位", "What if"),
    "pp_view_siting": ("选址建议", "Post siting"),
    "pp_loading": ("正在计算路网和覆盖……", "Computing the street network and coverage…"),
    "pp_within": ("{m} 分钟内", "within {m} min"),
    "pp_within_class": ("重点目标各自的响应等级内", "key sites within their own class"),
    "pp_fig_street_share": ("道路长度", "Street length"),
    "pp_fig_site_share": ("重点目标", "Key sites"),
    "pp_fig_incident_share": ("事件", "Incidents"),
    "pp_fig_streets": ("5 分钟可达道路", "Streets within 5 min"),
    "pp_fig_sites": ("重点目标达标", "Key sites within class"),
    "pp_fig_incidents": ("5 分钟可达事件", "Incidents within 5 min"),
    "pp_col_within": ("时限", "Within"),
    "pp_col_street_km": ("道路（公里）", "Streets (km)"),
    "pp_col_streets": ("道路占比", "Street share"),
    "pp_col_sites": ("重点目标占比", "Key-site share"),
    "pp_col_incidents": ("事件占比", "Incident share"),
    "pp_col_code": ("网格编码", "Grid code"),
    "pp_col_streets_within": ("道路 {m} 分钟 %", "Streets {m} min %"),
    "pp_col_sites_class": ("重点目标达标 %", "Key sites in class %"),
    "pp_col_incidents_within": ("事件 {m} 分钟 %", "Incidents {m} min %"),
    "pp_col_street": ("道路", "Street"),
    "pp_col_m": ("未覆盖长度（米）", "Uncovered length (m)"),
    "pp_col_site": ("目标编号", "Site"),
    "pp_col_class": ("响应等级（分钟）", "Response class (min)"),
    "pp_col_minutes": ("实际到达（分钟）", "Reached in (min)"),
    "pp_col_post": ("岗位", "Post"),
    "pp_col_uncovered": ("5 分钟外道路 %", "Streets beyond 5 min %"),
    "pp_col_figure": ("指标", "Figure"),
    "pp_col_before": ("调整前", "Before"),
    "pp_col_after": ("调整后", "After"),
    "pp_col_change": ("变化（百分点）", "Change (points)"),
    "pp_col_solver": ("最优解（HiGHS）", "Optimal (HiGHS)"),
    "pp_col_greedy": ("贪心解", "Greedy"),
    "pp_name": ("名称", "Name"),
    "pp_yes": ("是", "yes"),
    "pp_no": ("否", "no"),
    "pp_by_grid": ("各网格覆盖", "Coverage per grid"),
    "pp_summary": ("覆盖指标", "Coverage figures"),
    "pp_gap_streets": ("5 分钟外的道路", "Streets beyond 5 minutes"),
    "pp_gap_sites": ("未在响应等级内到达的重点目标", "Key sites outside their response class"),
    "pp_gap_grids": ("盲区较多的网格", "Grids with uncovered streets"),
    "pp_none": ("无", "None"),
    "pp_legend": ("出警时间", "Response time"),
    "pp_points": ("点位", "Places"),
    "pp_changed_layer": ("新增或移动的岗位", "Added or moved post"),
    "pp_gap_layer": ("盲区（5 分钟外）", "Gap (beyond 5 min)"),
    "pp_gap_tip": ("{m} 分钟内无法到达", "not reached within {m} min"),
    "pp_tip_uncovered": ("5 分钟外道路 {share}", "streets beyond 5 min: {share}"),
    "pp_posts_layer": ("守望岗", "Sentinel posts"),
    "pp_gap_sites_layer": ("未达标重点目标", "Key sites outside class"),
    "pp_proposed_layer": ("建议新岗位", "Proposed posts"),
    "pp_greedy_layer": ("贪心解岗位", "Greedy answer's posts"),
    "pp_action": ("调整", "Change"),
    "pp_action_add": ("新增岗位", "Add a post"),
    "pp_action_move": ("移动岗位", "Move a post"),
    "pp_action_remove": ("撤销岗位", "Remove a post"),
    "pp_post": ("岗位", "Post"),
    "pp_place": ("位置", "Place"),
    "pp_place_node": ("选择路口", "A street intersection"),
    "pp_place_lonlat": ("输入经纬度（WGS-84）", "Coordinates (WGS-84)"),
    "pp_intersection": ("路口", "Intersection"),
    "pp_lon": ("经度", "Longitude"),
    "pp_lat": ("纬度", "Latitude"),
    "pp_new_name": ("新岗位名称", "Name of the new post"),
    "pp_new_name_default": ("新守望岗", "New sentinel post"),
    "pp_new_mode": ("新岗位出警方式", "Mode of the new post"),
    "pp_before_after": ("调整前后对比（未保存）", "Before and after (not saved)"),
    "pp_save": ("保存为守望岗图层新版本", "Save as a new version of the posts layer"),
    "pp_saved": (
        "已保存为守望岗第 {version} 版（{n} 个岗位）",
        "Saved as posts version {version} ({n} posts)",
    ),
    "pp_mclp": (
        "新增 k 个岗位，覆盖最多事件（MCLP）",
        "k new posts covering the most incidents (MCLP)",
    ),
    "pp_lscp": ("覆盖全部重点目标所需最少岗位（LSCP）", "Fewest posts for every key site (LSCP)"),
    "pp_k": ("新增岗位数 k", "New posts k"),
    "pp_minutes": ("时限（分钟）", "Within (minutes)"),
    "pp_days": ("使用最近多少天的事件", "Incidents of the last … days"),
    "pp_time_limit": ("求解时间上限（秒）", "Solver time limit (s)"),
    "pp_siting_mode": ("新岗位出警方式", "Mode of the new posts"),
    "pp_run": ("计算", "Compute"),
    "pp_solving": ("正在求解……", "Solving…"),
    "pp_sit_current": ("现有岗位覆盖", "Covered by the current posts"),
    "pp_sit_covered": ("加上新岗位后覆盖", "Covered with the new posts"),
    "pp_sit_gain": ("新增覆盖", "Gain"),
    "pp_sit_new_posts": ("需新增岗位", "New posts needed"),
    "pp_sit_uncoverable": ("任何路口都无法按时到达的目标", "Sites no intersection reaches in time"),
    "pp_sit_gap": ("最优性间隙", "Optimality gap"),
    "pp_sit_optimal": ("已证明最优", "Proven optimal"),
    "pp_sit_seconds": ("求解用时（秒）", "Solver time (s)"),
    "pp_proposed": ("建议的新岗位", "Proposed new posts"),
    "pp_help": ("这张图说明什么？方法来源", "What this shows, and where the method comes from"),
    # -- planners' grids page (app_pages/grids.py, gridmap/grids/views.py)
    "page_grids": ("网格调整", "Grids"),
    "grids_none": (
        "工作空间还没有网格图层：请先在“数据”页导入网格。",
        "The workspace has no grids layer yet: import grids on the Data page first.",
    ),
    "grids_area_default": (
        "侧边栏未选社区或街道：显示 {code} 的网格。",
        "No community or street chosen in the sidebar: showing the grids of {code}.",
    ),
    "grids_view": ("视图", "View"),
    "grids_view_table": ("网格与工作量", "Grids and workload"),
    "grids_view_topology": ("拓扑检查", "Topology check"),
    "grids_view_edit": ("手动调整", "Manual edits"),
    "grids_view_auto": ("自动划分", "Automatic plans"),
    "grids_view_history": ("版本历史", "History"),
    "grids_map_layer": ("网格", "Grids"),
    "grids_help": ("方法说明", "How it works"),
    "grids_weights": ("工作量指数权重", "Workload index weights"),
    "grids_w_households": ("户数权重", "Households weight"),
    "grids_w_incidents": ("事件权重", "Incidents weight"),
    "grids_w_sites": ("重点目标权重", "Key sites weight"),
    "grids_apply": ("应用", "Apply"),
    "grids_area_km2": ("面积（km²）", "Area (km²)"),
    "grids_incidents_12m": ("近12个月事件", "Incidents, last 12 months"),
    "grids_sites": ("重点目标", "Key sites"),
    "grids_workload": ("工作量指数", "Workload index"),
    "grids_problems": ("拓扑问题", "Topology problems"),
    "grids_no_problems": ("未发现拓扑问题。", "No topology problems found."),
    "grids_kind": ("问题", "Problem"),
    "grids_kind_invalid": ("自相交/无效", "self-crossing / invalid"),
    "grids_kind_multipart": ("网格分成多块", "grid in several parts"),
    "grids_kind_sliver": ("碎片", "sliver"),
    "grids_kind_overlap": ("重叠", "overlap"),
    "grids_kind_gap": ("缝隙", "gap"),
    "grids_kind_outside_community": ("超出社区", "outside its community"),
    "grids_kind_crosses_community": ("跨社区", "crosses its community"),
    "grids_area_m2": ("面积（m²）", "Area (m²)"),
    "grids_detail": ("说明", "Detail"),
    "grids_where": ("位置（经度, 纬度）", "Where (lon, lat)"),
    "grids_fix_preview": ("预览安全修复", "Preview the safe fixes"),
    "grids_edit_kind": ("调整方式", "Edit"),
    "grids_edit_merge": ("合并相邻网格", "Merge adjacent grids"),
    "grids_edit_move": ("移动街区", "Move blocks"),
    "grids_edit_split_streets": ("沿道路拆分", "Split along streets"),
    "grids_edit_split_line": ("按坐标线拆分", "Split with a line"),
    "grids_merge_codes": ("要合并的网格", "Grids to merge"),
    "grids_move_blocks": ("要移动的街区（编号）", "Blocks to move (ids)"),
    "grids_move_to": ("移入网格", "Move to grid"),
    "grids_split_grid": ("要拆分的网格", "Grid to split"),
    "grids_split_streets": ("沿这些道路拆分", "Split along these streets"),
    "grids_split_line": ("拆分线坐标", "Split line coordinates"),
    "grids_split_line_help": (
        "WGS-84 经度,纬度，每点一行或以分号分隔，例如 24.930,60.168; 24.936,60.171",
        "WGS-84 lon,lat, one point a line or separated by semicolons, e.g. "
        "24.930,60.168; 24.936,60.171",
    ),
    "grids_preview_button": ("预览", "Preview"),
    "grids_preview_time": ("预览用时 {ms} 毫秒", "Previewed in {ms} ms"),
    "grids_refused": ("无法调整：{reason}", "Refused: {reason}"),
    "grids_blocks_hint": (
        "鼠标悬停街区可查看编号；颜色为户数。",
        "Hover a block to see its id; colours are households.",
    ),
    "grids_block_n": ("街区 {n}", "Block {n}"),
    "grids_preview": ("预览", "Preview"),
    "grids_changed": ("已改变的网格", "Changed grids"),
    "grids_unchanged": ("未改变", "Unchanged"),
    "grids_codes_table": ("新旧编码对照", "Old → new codes"),
    "grids_old_code": ("原编码", "Old code"),
    "grids_new_code": ("新编码", "New code"),
    "grids_change": ("变化", "Change"),
    "grids_change_split": ("拆分", "split"),
    "grids_change_merged": ("合并", "merged"),
    "grids_change_resized": ("调整范围", "resized"),
    "grids_change_renumbered": ("重新编号", "renumbered"),
    "grids_commit_message": ("版本说明", "Version message"),
    "grids_commit": ("提交为新版本", "Commit as a new version"),
    "grids_need_editor": (
        "请先在侧边栏填写编辑人姓名，再提交。",
        "Type the editor's name in the sidebar before committing.",
    ),
    "grids_committed": ("已保存为网格第 {version} 版", "Saved as grids version {version}"),
    "grids_message_merge": ("合并网格 {what}", "merge grids {what}"),
    "grids_message_move": ("移动街区 {what}", "move blocks {what}"),
    "grids_message_split_streets": ("沿道路拆分网格 {what}", "split grid {what} along streets"),
    "grids_message_split_line": ("按线拆分网格 {what}", "split grid {what} with a line"),
    "grids_message_fix": ("{code} 拓扑安全修复（{n} 处）", "safe topology fixes in {code} ({n})"),
    "grids_message_plan": (
        "自动划分方案 {n}：{code}（{k} 个网格）",
        "automatic plan {n} for {code} ({k} grids)",
    ),
    "grids_message_restore": ("恢复网格第 {v} 版", "restore grids version {v}"),
    "grids_auto_community_only": (
        "自动划分针对一个社区：请选择社区（或在侧边栏选择）。",
        "Automatic plans work on one community: choose one here (or in the sidebar).",
    ),
    "grids_auto_by": ("网格数量", "Number of grids"),
    "grids_auto_k": ("指定网格数", "Number of grids"),
    "grids_auto_range": ("按户数范围", "By household range"),
    "grids_auto_low": ("每格最少户数", "Fewest households per grid"),
    "grids_auto_high": ("每格最多户数", "Most households per grid"),
    "grids_auto_tolerance": ("均衡容差（±%）", "Balance tolerance (±%)"),
    "grids_auto_method": ("起始方法", "Starting method"),
    "grids_method_metis": ("METIS 多级划分", "METIS multilevel"),
    "grids_method_tree": ("随机生成树（GerryChain）", "Random spanning tree (GerryChain)"),
    "grids_method_help": (
        "随机生成树在街区少、瓶颈多的社区可能要几分钟；METIS 通常不到一秒。",
        "The random spanning tree can take minutes on a community with few blocks and "
        "choke points; METIS usually takes under a second.",
    ),
    "grids_auto_plans": ("备选方案数", "Alternative plans"),
    "grids_auto_seed": ("起始随机种子", "First seed"),
    "grids_auto_run": ("生成方案", "Compute plans"),
    "grids_auto_running": ("正在生成方案…", "Computing plans…"),
    "grids_compare": ("方案对比", "Plans compared"),
    "grids_current": ("现状", "Current"),
    "grids_plan_n": ("方案 {n}", "Plan {n}"),
    "grids_metric_grids": ("网格数", "Grids"),
    "grids_metric_max_deviation": ("最大户数偏差（%）", "Largest household deviation (%)"),
    "grids_metric_mean_polsby_popper": ("平均紧凑度（Polsby-Popper）", "Mean Polsby-Popper"),
    "grids_metric_min_polsby_popper": ("最低紧凑度（Polsby-Popper）", "Lowest Polsby-Popper"),
    "grids_metric_boundary_length_m": ("内部边界总长（m）", "Internal boundary (m)"),
    "grids_metric_households_per_worker": ("每名网格员户数", "Households per grid worker"),
    "grids_metric_multipart_grids": ("多块网格数", "Grids in several parts"),
    "grids_auto_chosen": ("查看方案", "Show plan"),
    "grids_before_map": ("调整前", "Before"),
    "grids_after_map": ("调整后", "After"),
    "grids_reassignment": (
        "改变所属网格的建筑、重点目标和守望岗",
        "Buildings, key sites and posts that change grid",
    ),
    "grids_layer": ("图层", "Layer"),
    "grids_id": ("编号", "Id"),
    "grids_before": ("原网格", "Grid before"),
    "grids_after": ("新网格", "Grid after"),
    "grids_auto_take": ("采用此方案（预览）", "Take this plan (preview)"),
    "grids_version": ("版本", "Version"),
    "grids_when": ("时间（UTC）", "When (UTC)"),
    "grids_author": ("编辑人", "Editor"),
    "grids_message": ("说明", "Message"),
    "grids_features": ("网格数", "Grids"),
    "grids_history_version": ("查看版本", "Show version"),
    "grids_history_changed": (
        "与上一版相比改变的网格：{n} 个（红色）",
        "Grids changed from the previous version: {n} (red)",
    ),
    "grids_restore": ("恢复为此版本", "Revert to this version"),
}

#: Why an imported row was rejected (keys of :data:`gridmap.io.REASONS`).
REASON_LABELS: dict[str, tuple[str, str]] = {
    "missing_coordinate": ("缺少坐标", "missing coordinate"),
    "non_numeric_coordinate": ("坐标不是数字", "coordinate is not a number"),
    "out_of_range": ("坐标超出范围", "coordinate out of range"),
    "zero_coordinate": ("坐标为 (0, 0)（未定位）", "coordinates are (0, 0) (no GPS fix)"),
    "far_outside_workspace": ("远离工作空间范围", "far outside the workspace"),
    "bad_time": ("无法识别的时间", "unreadable date-time"),
    "missing_value": ("必填项为空", "required value missing"),
    "duplicate_id": ("编号重复", "duplicate id"),
    "bad_grid_code": ("网格编码不是15位", "grid code is not 15 digits"),
    "empty_geometry": ("几何为空", "empty geometry"),
    "invalid_geometry": ("几何无效且无法修复", "invalid geometry, not repairable"),
    "wrong_geometry_type": ("几何类型与图层不符", "wrong geometry type for the layer"),
    "malformed_row": ("列数与表头不一致", "row does not match the header"),
    "outside_crs_area": ("坐标超出坐标系的适用范围", "outside the coordinate system's area"),
}

#: Column names of the data model (:mod:`gridmap.schema`) as tables show them.
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "grid_code": ("网格编码", "Grid code"),
    "name": ("名称", "Name"),
    "households": ("户数", "Households"),
    "population": ("人口", "Population"),
    "worker": ("网格员", "Grid worker"),
    "community": ("社区", "Community"),
    "street": ("街道", "Street"),
    "district": ("区县", "District"),
    "site_id": ("目标编号", "Site id"),
    "kind": ("类型", "Kind"),
    "response_class": ("响应圈（分钟）", "Response circle (min)"),
    "post_id": ("岗位编号", "Post id"),
    "mode": ("巡防方式", "Patrol mode"),
    "staff": ("人数", "Staff"),
    "incident_id": ("事件编号", "Incident id"),
    "category": ("类别", "Category"),
    "occurred_at": ("发生时间", "Occurred at"),
    "occurred_to": ("结束时间", "Occurred until"),
    "source": ("来源", "Source"),
    "status": ("状态", "Status"),
    "handled_at": ("办结时间", "Handled at"),
    "description": ("描述", "Description"),
    "synthetic": ("合成数据", "Synthetic"),
    "highway": ("道路等级", "Road class"),
    "oneway": ("单行", "One-way"),
    "maxspeed": ("限速", "Speed limit"),
    "network": ("路网", "Network"),
    "levels": ("层数", "Levels"),
    "incidents": ("近30天事件", "Incidents, last 30 days"),
    "category_key": ("类别代码", "Category key"),
    "kind_key": ("类型代码", "Kind key"),
    "mode_key": ("方式代码", "Mode key"),
    # coordinate roles of an imported table
    "lon": ("经度 / X", "Longitude / X"),
    "lat": ("纬度 / Y", "Latitude / Y"),
    "wkt": ("几何（WKT）", "Geometry (WKT)"),
    # the hotspots layer (the street office's hand-off to patrol planning)
    "level": ("级别", "Level"),
    "period": ("时段", "Period"),
    "weight": ("权重", "Weight"),
}


def t(key: str, lang: str = "zh", /, **values: object) -> str:
    """The text for `key` in `lang`, with ``{placeholders}`` filled from `values`.

    >>> t("grid", "zh"), t("grid", "en")
    ('网格', 'Grid')
    >>> t("committed", "en", layer="grids", version=2, n=30)
    'Saved as grids version 2 (30 features)'
    """
    try:
        zh, en = TEXT[key]
    except KeyError:
        msg = f"`key` {key!r} has no interface text"
        raise KeyError(msg) from None
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text


def reason_label(reason: str, lang: str = "zh") -> str:
    """Why a row was rejected, in `lang`, followed by the stable reason key.

    >>> reason_label("bad_time", "zh")
    '无法识别的时间 (bad_time)'
    """
    zh, en = REASON_LABELS.get(reason, (reason, reason))
    return f"{zh if lang == 'zh' else en} ({reason})"


def layer_label(layer: str, lang: str = "zh") -> str:
    """The layer's name in `lang` (from :data:`gridmap.schema.LAYERS`).

    >>> layer_label("posts", "zh"), layer_label("posts", "en")
    ('守望岗', 'Sentinel posts')
    """
    spec = LAYERS.get(layer)
    if spec is None:
        return layer
    return spec.label_zh if lang == "zh" else spec.label_en


def column_label(column: str, lang: str = "zh") -> str:
    """A data-model column's name in `lang`; other columns keep the name the file gave.

    >>> column_label("occurred_at", "zh"), column_label("occurred_at", "en")
    ('发生时间', 'Occurred at')
    >>> column_label("备注", "en")
    '备注'
    """
    zh, en = COLUMN_LABELS.get(column, (column, column))
    return zh if lang == "zh" else en


#: Messages the library gives users, with ``{placeholders}`` filled from language-neutral
#: values (numbers, file and column names, encodings, CRS labels). ``{detail}`` alone
#: carries text we cannot translate: what a library (GDAL, pyarrow, the OS) said.
MESSAGES: dict[str, tuple[str, str]] = {
    # why a single row was rejected (the `message` column of the rejection report)
    "row_value_empty": ("{column}（{role}）为空", "{role} ({column}) is empty"),
    "row_bad_time": (
        "{column}（{role}）的值“{value}”不是可识别的时间；请写成如 {forms}",
        "{role} ({column}) '{value}' is not a date-time; write it like {forms}",
    ),
    "row_bad_grid_code": (
        "网格编码“{value}”不是15位数字（6位区县 + 3位街道 + 3位社区 + 3位网格）",
        "grid_code '{value}' is not 15 digits (6 district + 3 street + 3 community + 3 grid)",
    ),
    "row_id_in_workspace": (
        "编号 {value}（{column}）已在工作空间中",
        "{column} {value} is already in the workspace",
    ),
    "row_id_repeated": (
        "编号 {value}（{column}）与第 {first} 行重复",
        "{column} {value} repeats row {first}",
    ),
    "row_coordinates_empty": ("{x} 和 {y} 均为空", "{x} and {y} are empty"),
    "row_coordinate_empty": ("{column} 为空", "{column} is empty"),
    "row_not_a_number": (
        "{x}=“{x_value}”，{y}=“{y_value}”：不是数字",
        "{x}='{x_value}', {y}='{y_value}': not a number",
    ),
    "row_outside_crs_area": (
        "{x}={x_value}，{y}={y_value} 超出 {crs} 的适用范围",
        "{x}={x_value}, {y}={y_value} is outside the area of {crs}",
    ),
    "row_out_of_range": (
        "经度 {lon}、纬度 {lat} 超出 ±180°、±90° 的范围",
        "longitude {lon}, latitude {lat} is outside ±180°, ±90°",
    ),
    "row_zero_coordinate": (
        "坐标恰为 (0, 0)：这是定位设备未取得位置时写入的值",
        "the coordinates are exactly (0, 0), where devices without a position fix put points",
    ),
    "row_not_wkt": ("{column} 不是 WKT 几何", "{column} is not a WKT geometry"),
    "row_empty_geometry": ("几何为空", "the geometry is empty"),
    "row_wrong_geometry_type": (
        "几何类型为 {found}；图层 {layer} 需要 {geometry}",
        "the geometry is a {found}; layer `{layer}` needs {geometry}",
    ),
    "row_geometry_out_of_range": (
        "按 {crs} 读取后，几何超出 ±180°、±90° 的范围",
        "the geometry lies outside ±180°, ±90° once read as {crs}",
    ),
    "row_unrepairable_polygon": (
        "多边形无效且无法修复",
        "the polygon is invalid and could not be repaired",
    ),
    "row_far_outside": (
        "超出工作空间范围 {km} 公里（上限 {limit} 公里）",
        "{km} km outside the workspace (limit {limit} km)",
    ),
    "row_malformed": (
        "该行有 {n} 个值，表头有 {columns} 列",
        "the row has {n} values; the header has {columns} columns",
    ),
    "generated_ids": (
        "文件没有编号列：已在 {column} 中生成 {n} 个编号",
        "no id column: {n} ids generated in `{column}`",
    ),
    # -- the file as a whole (gridmap.io)
    "file_missing": (
        "找不到文件 {path}，或它不是一个文件",
        "`path` {path} does not exist or is not a file",
    ),
    "file_empty": (
        "文件 {name} 是空的（0 字节），没有任何数据",
        "`path` {name} is empty (0 bytes): the file has no rows",
    ),
    "file_too_large": (
        "文件 {name} 有 {size:.1f} MB，超过了导入上限 {limit:.1f} MB"
        "（管理员可用 GRIDMAP_MAX_UPLOAD_MB 调高上限）",
        "`path` {name} is {size:.1f} MB, larger than the import limit of {limit:.1f} MB "
        "(raise it with `max_bytes` or GRIDMAP_MAX_UPLOAD_MB)",
    ),
    "file_type_unsupported": (
        "无法导入 {suffix} 类型的文件 {name}。请使用 CSV（.csv、.txt、.tsv）、Excel（.xlsx）、"
        "GeoJSON（.geojson、.json）、GeoPackage（.gpkg）或 zip 压缩的 Shapefile（.zip）",
        "`path` {name}: files of type {suffix} cannot be imported; use CSV (.csv, .txt, .tsv), "
        "Excel (.xlsx), GeoJSON (.geojson, .json), GeoPackage (.gpkg) or a zipped Shapefile "
        "(.zip)",
    ),
    "file_no_extension": (
        "文件 {name} 没有扩展名，无法判断类型。请使用 CSV（.csv、.txt、.tsv）、Excel（.xlsx）、"
        "GeoJSON（.geojson、.json）、GeoPackage（.gpkg）或 zip 压缩的 Shapefile（.zip）",
        "`path` {name}: files of type (no extension) cannot be imported; use CSV (.csv, .txt, "
        ".tsv), Excel (.xlsx), GeoJSON (.geojson, .json), GeoPackage (.gpkg) or a zipped "
        "Shapefile (.zip)",
    ),
    "file_type_xls": (
        "无法导入旧版 Excel 文件 {name}（{suffix}）：请在 Excel 中另存为 .xlsx 或 CSV 后再导入",
        "`path` {name}: files of type {suffix} cannot be imported (old Excel format: save it "
        "as .xlsx or CSV); use CSV (.csv, .txt, .tsv), Excel (.xlsx), GeoJSON (.geojson, "
        ".json), GeoPackage (.gpkg) or a zipped Shapefile (.zip)",
    ),
    "not_a_table_file": (
        "文件 {name} 不是表格：预览只支持 .csv、.txt、.tsv 和 .xlsx 文件",
        "`path` {name}: read_table reads .csv, .txt, .tsv and .xlsx files",
    ),
    "unknown_layer": (
        "没有名为 {layer} 的图层；可选的图层：{layers}",
        "`layer` must be one of {layers}; got {layer}",
    ),
    "bad_crs": (
        "无法识别坐标系 {crs}：请使用 wgs84、gcj02、bd09、EPSG 代码或 .prj 文件中的 WKT",
        "`crs` {crs} is not a coordinate system gridmap knows: use wgs84, gcj02, bd09, an EPSG "
        "code or the WKT of a .prj file",
    ),
    "bad_timezone": (
        "无法识别时区 {timezone}：请使用 IANA 时区名，如 Asia/Shanghai 或 Europe/Helsinki",
        "`timezone` must be an IANA time-zone name such as 'Asia/Shanghai' or "
        "'Europe/Helsinki'; got {timezone}",
    ),
    "required_columns_missing": (
        "导入到图层“{layer}”缺少必需的列：{missing}。文件中的列：{columns}。"
        "请把相应的列改名，或在“字段对应”中为“{first}”手动选择一列",
        "layer `{layer}`: required column(s) not found: {missing}. Columns in the file: "
        "{columns}. Rename the column or map it with `columns={{'{first}': '<column name>'}}`",
    ),
    "columns_key_unknown": (
        "图层 {layer} 没有 {key} 这一项；可用的有：{roles}",
        "`columns` key {key} is not a column of layer `{layer}`; use one of {roles}",
    ),
    "columns_maps_missing": (
        "为 {key} 指定的列 {column} 不在文件中；文件中的列：{columns}",
        "`columns` maps {key} to {column}, which is not in the file; columns found: {columns}",
    ),
    "columns_renamed_reserved": (
        "为能存入工作空间，已将列改名：{renamed}（GeoPackage 保留的列名）",
        "columns renamed so the layer can be stored: {renamed} (reserved by the GeoPackage)",
    ),
    "columns_renamed_case": (
        "为能存入工作空间，已将列改名：{renamed}（与另一列同名，只是大小写不同）",
        "columns renamed so the layer can be stored: {renamed} (repeats another column's name "
        "in a different case)",
    ),
    "columns_renamed_both": (
        "为能存入工作空间，已将列改名：{reserved}（GeoPackage 保留的列名）；"
        "{repeated}（与另一列同名，只是大小写不同）",
        "columns renamed so the layer can be stored: {reserved} (reserved by the "
        "GeoPackage); {repeated} (repeats another column's name in a different case)",
    ),
    # -- text tables (gridmap.io._text)
    "encoding_uncertain": (
        "文件编码不能完全确定：已按 {encoding} 读取（其中 {share:.0%} 的字符是常用汉字，"
        "但也可能是西文 cp1252 编码）；如文字显示不对，请手动选择编码",
        "the text encoding is not certain: read as {encoding} ({share:.0%} of its characters "
        "are common Chinese ones; it could also be Western cp1252); pass `encoding` if the "
        "text looks wrong",
    ),
    "encoding_cp1252_not_chinese": (
        "文件虽能按 GBK 解码，但读出来不像中文：已按西文 cp1252 编码读取；"
        "如文字显示不对，请手动选择编码",
        "the text is valid GBK but not Chinese-looking: read as cp1252 (Western European); "
        "pass `encoding` if the text looks wrong",
    ),
    "encoding_cp1252": (
        "文件既不是 UTF-8 也不是 GBK 编码：已按西文 cp1252 编码读取；"
        "如文字显示不对，请手动选择编码",
        "the text is neither UTF-8 nor GBK: read as cp1252 (Western European); pass "
        "`encoding` if the text looks wrong",
    ),
    "encoding_unknown": (
        "无法识别文件的文字编码（支持 UTF-8、带 BOM 的 UTF-16、GBK/GB18030、cp1252）；"
        "如知道文件的编码，请手动选择",
        "the file is not text in any encoding gridmap can detect (UTF-8, UTF-16 with a "
        "byte-order mark, GBK/GB18030, cp1252); pass `encoding` if you know it",
    ),
    "unknown_encoding": (
        "不认识编码 {encoding}（可以试试 utf-8 或 gbk）",
        "`encoding` {encoding} is not a known text encoding (try utf-8 or gbk)",
    ),
    "file_not_in_encoding": (
        "文件 {name} 不是有效的 {encoding} 文本（位置 {position} 处的字节为 {byte}）；"
        "如知道文件的编码，请手动选择",
        "`path` {name} is not valid {encoding} text (byte {byte} at position {position}); "
        "pass `encoding` if you know the file's encoding",
    ),
    "file_not_valid_text": (
        "文件 {name} 不是有效的 {encoding} 文本；请手动选择文件的编码（也许是 GBK？）",
        "`path` {name} is not valid {encoding} text; pass the file's `encoding` (gbk?)",
    ),
    "file_looks_like_zip": (
        "文件 {name} 看起来是 Excel 工作簿或 zip 压缩包，而不是 CSV 文本文件",
        "`path` {name} looks like an Excel workbook or zip archive, not a CSV text file",
    ),
    "file_looks_like_xls": (
        "文件 {name} 看起来是旧版 Excel .xls（或 Word .doc）文件，而不是 CSV 文本文件；"
        "请另存为 .xlsx 或 CSV",
        "`path` {name} looks like an old Excel .xls (or Word .doc) file; save it as .xlsx or "
        "CSV, not a CSV text file",
    ),
    "file_looks_like_pdf": (
        "文件 {name} 看起来是 PDF 文档，而不是 CSV 文本文件",
        "`path` {name} looks like a PDF document, not a CSV text file",
    ),
    "file_looks_like_sqlite": (
        "文件 {name} 看起来是 SQLite 数据库或 GeoPackage，而不是 CSV 文本文件",
        "`path` {name} looks like a SQLite database or GeoPackage, not a CSV text file",
    ),
    "file_looks_like_png": (
        "文件 {name} 看起来是 PNG 图片，而不是 CSV 文本文件",
        "`path` {name} looks like a PNG image, not a CSV text file",
    ),
    "file_looks_like_jpeg": (
        "文件 {name} 看起来是 JPEG 图片，而不是 CSV 文本文件",
        "`path` {name} looks like a JPEG image, not a CSV text file",
    ),
    "file_binary": (
        "文件 {name} 不是 CSV 文本文件：其中含有二进制数据",
        "`path` {name} is not a CSV text file: it holds binary data (NUL bytes)",
    ),
    "file_no_rows": (
        "文件 {name} 没有数据行（只有表头，或什么都没有）",
        "`path` {name}: the file has no rows (only a header, or nothing at all)",
    ),
    "csv_unreadable": (
        "无法按 CSV 读取文件 {name}：{detail}",
        "`path` {name} cannot be read as CSV: {detail}",
    ),
    "no_row_fits_header": (
        "文件 {name} 中没有一行的列数与表头的 {n} 列一致",
        "`path` {name}: no row has the {n} columns of the header",
    ),
    "xlsx_invalid": (
        "文件 {name} 不是有效的 Excel .xlsx 工作簿",
        "`path` {name} is not a valid Excel .xlsx workbook",
    ),
    "xlsx_unreadable": (
        "文件 {name} 不是有效的 Excel .xlsx 工作簿：{detail}",
        "`path` {name} is not a valid Excel .xlsx workbook: {detail}",
    ),
    "sheet_missing": (
        "工作簿中没有工作表 {sheet}；现有的工作表：{sheets}",
        "`sheet` {sheet} is not in the workbook; sheets: {sheets}",
    ),
    "sheet_no_rows": (
        "文件 {name}（工作表 {sheet}）没有数据行",
        "`path` {name} (sheet {sheet}): the file has no rows",
    ),
    # -- GIS files (gridmap.io._vector)
    "zip_invalid": (
        "文件 {name} 不是有效的 zip 压缩包",
        "`path` {name} is not a valid zip archive",
    ),
    "zip_too_large": (
        "压缩包 {name} 解压后超过 {limit:.0f} MB 的上限",
        "`path` {name} unpacks to more than the limit of {limit:.0f} MB",
    ),
    "zip_no_data": (
        "压缩包 {name} 中没有 Shapefile（.shp 及其 .dbf、.shx）、GeoJSON 或 GeoPackage；"
        "其中的文件：{listing}",
        "`path` {name} holds no Shapefile (.shp with .dbf and .shx), GeoJSON or GeoPackage; "
        "it holds {listing}",
    ),
    "zip_empty": (
        "压缩包 {name} 是空的，没有 Shapefile（.shp 及其 .dbf、.shx）、GeoJSON 或 GeoPackage",
        "`path` {name} holds no Shapefile (.shp with .dbf and .shx), GeoJSON or GeoPackage; "
        "it holds nothing",
    ),
    "shapefile_part_missing_in_zip": (
        "压缩包 {name} 中的 Shapefile {shapefile} 缺少 {ext} 文件",
        "`path` {name}: the Shapefile {shapefile} has no {ext}",
    ),
    "shapefile_part_missing": (
        "Shapefile {name} 旁边缺少 {ext} 文件",
        "`path` {name}: the Shapefile has no {ext} beside it",
    ),
    "gpkg_invalid": (
        "文件 {name} 不是有效的 GeoPackage（SQLite）文件",
        "`path` {name} is not a valid GeoPackage (SQLite) file",
    ),
    "geojson_crs_link": (
        "文件 {name} 以链接方式声明坐标系（crs 的类型为 link 或 url）：服务器不会去读取链接；"
        "请改用名称声明坐标系，例如 urn:ogc:def:crs:EPSG::4490",
        "`path` {name} declares its coordinate system (crs) as a link (type link or url),"
        " which the server does not follow; declare it by name instead, e.g."
        " urn:ogc:def:crs:EPSG::4490",
    ),
    "geojson_invalid": (
        "文件 {name} 不是 GeoJSON（开头不是一个 JSON 对象）",
        "`path` {name} is not GeoJSON (it does not start with a JSON object)",
    ),
    "gpkg_no_layers": (
        "文件 {name} 中没有带几何图形的图层",
        "`path` {name} holds no layer with geometries",
    ),
    "several_shapefiles": (
        "压缩包中有 {n} 个 Shapefile（{names}），已读取第一个：{first}（可用 source_layer 指定）",
        "the file holds {n} shapefiles ({names}); read the first, {first} (pass "
        "`source_layer` to choose)",
    ),
    "several_files": (
        "压缩包中有 {n} 个文件（{names}），已读取第一个：{first}（可用 source_layer 指定）",
        "the file holds {n} files ({names}); read the first, {first} (pass `source_layer` "
        "to choose)",
    ),
    "several_layers": (
        "文件中有 {n} 个图层（{names}），已读取第一个：{first}（可用 source_layer 指定）",
        "the file holds {n} layers ({names}); read the first, {first} (pass `source_layer` "
        "to choose)",
    ),
    "source_layer_missing_shapefiles": (
        "文件中没有 {wanted}；其中的 Shapefile：{names}",
        "`source_layer` {wanted} is not in the file; shapefiles: {names}",
    ),
    "source_layer_missing_files": (
        "文件中没有 {wanted}；其中的文件：{names}",
        "`source_layer` {wanted} is not in the file; files: {names}",
    ),
    "source_layer_missing_layers": (
        "文件中没有图层 {wanted}；其中的图层：{names}",
        "`source_layer` {wanted} is not in the file; layers: {names}",
    ),
    "vector_unreadable": (
        "无法读取文件 {name}：{detail}",
        "`path` {name} cannot be read: {detail}",
    ),
    "vector_unreadable_as": (
        "无法按 {fmt} 格式读取文件 {name}：{detail}",
        "`path` {name} cannot be read as {fmt}: {detail}",
    ),
    "vector_bad_content": (
        "文件 {name} 中有无法读取的内容：{detail}",
        "`path` {name} has unreadable content: {detail}",
    ),
    "vector_no_geometry": (
        "文件 {name} 是一张没有几何图形的表",
        "`path` {name} holds a table without geometries",
    ),
    "vector_no_features": (
        "文件 {name} 没有数据（没有任何要素）",
        "`path` {name}: the file has no rows (no features)",
    ),
    "dbf_not_in_encoding": (
        "文件 {name} 的属性表不是有效的 {encoding} 文本；请手动选择文件的编码（也许是 GBK？）",
        "`path` {name}: the attribute table is not valid {encoding} text; pass the file's "
        "`encoding` (gbk?)",
    ),
    "dbf_read_as_detected": (
        "Shapefile 的属性文字并不是其 .cpg 文件所写的 {declared} 编码，已按实际的 {detected} "
        "编码读取（如不对，请手动选择编码）",
        "the Shapefile's text is not valid {declared} as its .cpg says; read it as "
        "{detected}, which its bytes are (pass `encoding` to choose another)",
    ),
    "dbf_names_cut": (
        "Shapefile 的属性文字不全是有效的 {encoding}：{names} 个字段名在半个汉字处被截断"
        "（dBASE 字段名最多 10 字节）；已读取能读的部分（如文字显示不对，请手动选择编码）",
        "the Shapefile's text is not all valid {encoding}: {names} field name(s) cut "
        "mid-character (the 10-byte dBASE limit); read what could be (pass `encoding` if the "
        "text looks wrong)",
    ),
    "dbf_values_bad": (
        "Shapefile 的属性文字不全是有效的 {encoding}：{values} 个值含有不属于 {encoding} 的字节"
        "（显示为 �）；已读取能读的部分（如文字显示不对，请手动选择编码）",
        "the Shapefile's text is not all valid {encoding}: {values} value(s) with bytes that "
        "are not {encoding} (shown as �); read what could be (pass `encoding` if the text "
        "looks wrong)",
    ),
    "dbf_names_and_values_bad": (
        "Shapefile 的属性文字不全是有效的 {encoding}：{names} 个字段名在半个汉字处被截断"
        "（dBASE 字段名最多 10 字节），{values} 个值含有不属于 {encoding} 的字节（显示为 �）；"
        "已读取能读的部分（如文字显示不对，请手动选择编码）",
        "the Shapefile's text is not all valid {encoding}: {names} field name(s) cut "
        "mid-character (the 10-byte dBASE limit); {values} value(s) with bytes that are not "
        "{encoding} (shown as �); read what could be (pass `encoding` if the text looks "
        "wrong)",
    ),
    "dbf_some_bytes_bad": (
        "Shapefile 的属性文字不全是有效的 {encoding}：有些字节无法读取；"
        "已读取能读的部分（如文字显示不对，请手动选择编码）",
        "the Shapefile's text is not all valid {encoding}: some bytes could not be read; read "
        "what could be (pass `encoding` if the text looks wrong)",
    ),
    "gdal_warning": ("读取文件时 GDAL 提示（英文原文）：{detail}", "{detail}"),
    # -- coordinates and geometries (gridmap.io._geometry)
    "crs_declared_used": (
        "文件自带坐标系 {declared}，已按它读取，没有使用所选的坐标系",
        "the file declares {declared}; used it instead of `crs`",
    ),
    "crs_declared_ignored": (
        "文件自带坐标系 {declared}，已按它读取；所选的坐标系 {given} 未使用",
        "the file declares {declared}; `crs` {given} was ignored",
    ),
    "coordinates_projected": (
        "坐标看起来是投影坐标（单位是米，不是度）：请选择它们所用的坐标系，"
        "如 CGCS2000 高斯-克吕格投影带 EPSG:4513–4554",
        "the coordinates look projected (metres, not degrees): set `crs` to their system, "
        "e.g. a CGCS2000 Gauss-Krüger zone EPSG:4513–4554",
    ),
    "northing_first": (
        "{x} 列是北坐标、{y} 列是东坐标（{crs} 中测量习惯的 X 是北坐标），已按此读取",
        "{x} holds northings and {y} eastings (surveyors' X is the northing in {crs}): read "
        "them that way round",
    ),
    "axis_order_unknown": (
        "无法判断坐标轴顺序：已把 {x} 列当作东坐标、{y} 列当作北坐标读取",
        "could not tell the axis order; read {x} as easting, {y} as northing",
    ),
    "columns_swapped_range": (
        "纬度和经度两列似乎填反了（纬度列中有超过 ±90 的值），已自动对调",
        "latitude and longitude columns look swapped (the latitude column holds values beyond "
        "±90): swapped back",
    ),
    "columns_swapped_workspace": (
        "纬度和经度两列似乎填反了（对调后才落在工作空间范围内），已自动对调",
        "latitude and longitude columns look swapped (read the other way round they fall "
        "inside the workspace): swapped back",
    ),
    "columns_swapped_china": (
        "纬度和经度两列似乎填反了（{system} 坐标必须在中国境内，对调后才是），已自动对调",
        "latitude and longitude columns look swapped ({system} coordinates must lie in China, "
        "and only swapped do they): swapped back",
    ),
    "rows_swapped": (
        "有 {n} 行的经度和纬度填反了（对调后才有效或落在工作空间内），已自动对调",
        "{n} row(s) had latitude and longitude the wrong way round (only read the other way "
        "are they valid or in the workspace): swapped back",
    ),
    "polygons_repaired": (
        "有 {n} 个多边形无效，已自动修复（make_valid）",
        "{n} polygons were invalid and repaired with make_valid",
    ),
    "wrong_geometry_type": (
        "图层 {layer} 需要 {geometry} 类型的几何图形，但文件 {name} 中是 {found}",
        "layer `{layer}` needs {geometry} geometries, but `path` {name} holds {found}",
    ),
    # -- attribute values (gridmap.io._attributes)
    "ids_generated_no_column": (
        "文件没有 {column} 列：已按文件名和行号生成编号，如 {example}",
        "the file has no {column} column; generated ids from the file name and row number, "
        "like {example}",
    ),
    "ids_generated_blank": (
        "有 {n} 行没有 {column}：已生成编号，如 {example}",
        "{n} rows had no {column}; generated ids like {example}",
    ),
    "unknown_categories": (
        "有 {n} 种事件类别不在类别表中，已按原样保留：{values}",
        "{n} unknown category value(s) kept as written: {values}",
    ),
    "unknown_categories_more": (
        "有 {n} 种事件类别不在类别表中，已按原样保留：{values} 等（另有 {more} 种）",
        "{n} unknown category value(s) kept as written: {values}, and {more} more",
    ),
    "unknown_kinds": (
        "有 {n} 种目标类型不在类型表中，已按原样保留：{values}",
        "{n} unknown kind value(s) kept as written: {values}",
    ),
    "unknown_kinds_more": (
        "有 {n} 种目标类型不在类型表中，已按原样保留：{values} 等（另有 {more} 种）",
        "{n} unknown kind value(s) kept as written: {values}, and {more} more",
    ),
    "unknown_modes": (
        "有 {n} 种巡防方式不在方式表中，已按原样保留：{values}",
        "{n} unknown mode value(s) kept as written: {values}",
    ),
    "unknown_modes_more": (
        "有 {n} 种巡防方式不在方式表中，已按原样保留：{values} 等（另有 {more} 种）",
        "{n} unknown mode value(s) kept as written: {values}, and {more} more",
    ),
    "not_whole_numbers": (
        "{column} 列（{role}）中有 {n} 个值不是整数，已留空",
        "{n} value(s) of {role} ({column}) are not whole numbers and were left empty",
    ),
    # -- date-times (gridmap.io._times)
    "times_offsets_to_zone": (
        "有 {n} 个时间带有时区偏移（{found}），已换算为 {timezone} 当地时间",
        "{n} date-time(s) carry a time-zone offset ({found}); converted to local time in "
        "{timezone} (pass `timezone`, e.g. 'Asia/Shanghai', to choose)",
    ),
    "times_offsets_to_common": (
        "有 {n} 个时间带有时区偏移（{found}），已统一换算为其中最常见的 {offset}"
        "（可在选项中指定时区，如 Asia/Shanghai）",
        "{n} date-time(s) carry a time-zone offset ({found}); converted to {offset}, the "
        "offset most of them use (pass `timezone`, e.g. 'Asia/Shanghai', to choose)",
    ),
    "unix_times_to_zone": (
        "有 {n} 个时间是 Unix 时间戳（自 1970-01-01 UTC 起的秒数或毫秒数），"
        "已换算为 {timezone} 当地时间",
        "{n} date-time(s) are Unix timestamps (seconds or milliseconds since 1970-01-01 UTC); "
        "read as local time in {timezone}",
    ),
    "unix_times_in_offset": (
        "有 {n} 个时间是 Unix 时间戳（自 1970-01-01 UTC 起的秒数或毫秒数），已按 {offset} 读取"
        "（如需当地时间，请在选项中指定时区，如 Asia/Shanghai）",
        "{n} date-time(s) are Unix timestamps (seconds or milliseconds since 1970-01-01 UTC); "
        "read as {offset} (pass `timezone`, e.g. 'Asia/Shanghai', for local time)",
    ),
    # -- export (gridmap.io._export)
    "export_folder_missing": (
        "目标文件夹 {folder} 不存在（请先创建），无法写入 {path}",
        "`path` {path}: the folder {folder} does not exist (create it first)",
    ),
    "export_unwritable": ("无法写入 {path}：{detail}", "`path` {path} cannot be written: {detail}"),
    "export_no_format": (
        "没有指定导出格式，也无法从文件名 {name} 的扩展名判断",
        "`fmt` not given and `path` {name} has no known extension",
    ),
    "export_bad_format": (
        "不支持导出格式 {fmt}；可选的格式：{formats}",
        "`fmt` must be one of {formats}; got {fmt}",
    ),
    # -- own city: optional columns, defaults, categories
    "column_defaulted_value": (
        "{layer} 图层有 {n} 行没有 {column}：已设为 {value}",
        "{n} row(s) of layer {layer} have no {column}: set to {value}",
    ),
    "column_defaulted_copy": (
        "{layer} 图层有 {n} 行没有 {column}：已用其 {source} 代替",
        "{n} row(s) of layer {layer} have no {column}: set to their {source}",
    ),
    "column_defaulted_table": (
        "{layer} 图层有 {n} 行没有 {column}：已按 {source} 推定（其他取 {value}）",
        "{n} row(s) of layer {layer} have no {column}: set from their {source} "
        "({value} for others)",
    ),
    "overview_no_grids": (
        "这个工作空间还没有网格边界，所以按 100 米格显示事件，不分网格统计。"
        "请在“数据”页把网格边界导入到“网格”图层，或运行 `gridmap import 文件 --layer grids`"
        "（以后也可以由道路自动生成网格）。",
        "This workspace has no grid boundaries yet, so incidents are shown in 100 m cells "
        "and not counted per grid. Import grid boundaries into the grids layer on the Data "
        "page, or run `gridmap import FILE --layer grids` (generating grids from the streets "
        "will come later).",
    ),
    "overview_no_households": (
        "网格没有户数：户数不显示，也不能按户数着色。导入带户数列（户数、住户数）的网格文件即可。",
        "The grids have no households: households are not shown and cannot colour the map. "
        "Import a grid file with a households column (户数, households) to add them.",
    ),
    "overview_no_incidents": (
        "这个工作空间还没有事件：请在“数据”页导入到“事件”图层，或运行 "
        "`gridmap import 文件 --layer incidents`。",
        "This workspace has no incidents yet: import them into the incidents layer on the "
        "Data page, or run `gridmap import FILE --layer incidents`.",
    ),
    "overview_nothing_to_draw": (
        "没有可显示的图层：工作空间里没有网格、事件、重点目标、守望岗或道路。",
        "Nothing to draw: the workspace has no grids, incidents, sites, posts or streets.",
    ),
    # -- data page and CLI
    "workspace_exists": (
        "工作空间“{name}”已存在：请换一个名称（不会覆盖已有的工作空间）",
        "workspace '{name}' already exists: choose another name (an existing workspace is "
        "never overwritten)",
    ),
    "mostly_far_outside": (
        "{n} 行中有 {far} 行远离本工作空间“{workspace}”的范围：这个文件描述的似乎是另一个"
        "地方。可以用它新建一个自己的工作空间。",
        "Of {n} rows, {far} lie far outside the area of workspace '{workspace}': the file "
        "seems to be about another place. Start a workspace of its own from it.",
    ),
    # -- street office pages
    "hs_help_density": (
        "颜色表示每周每平方公里的事件数：每个事件按高斯核“摊开”后叠加（核密度估计）。带宽越大，"
        "图越平滑；“自动”采用 Silverman（1986，《Density Estimation》式 3.31/4.14）的稳健经验规则。"
        "栅格在服务器上计算，再按 Web 墨卡托重采样为一张图片叠加在地图上，浏览器不接收原始点位。"
        "选择了社区或网格时，栅格只覆盖该范围（范围外透明），格子大小随范围缩放（约 512 格）。",
        "Colours are incidents per km² per week: each incident is spread by a Gaussian kernel "
        "and the kernels are summed (kernel density estimation). A wider bandwidth gives a "
        'smoother map; "auto" uses Silverman\'s robust rule of thumb (1986, *Density '
        "Estimation*, eqs. 3.31/4.14). The raster is computed on the server and warped to Web "
        "Mercator as one image; the browser never receives the incident points. With a "
        "community or grid chosen, the raster covers only that area (transparent outside) and "
        "its cells follow the area's size (about 512 across).",
    ),
    "hs_help_grids": (
        "每个网格在所选时段的事件数，与紧接其前的等长时段比较（CompStat 周比较表）。"
        "是否“显著”用精确条件检验：已知两期合计 n 起时，本期数服从 Binomial(n, 1/2)"
        "（Przyborowski & Wilenski 1940），所以 2 起变 4 起不会被当作“翻倍”。"
        "每千户事件数只在网格记录了户数时显示。",
        "Incidents per grid in the chosen span against the equal span just before it "
        '(CompStat\'s table). "Significant" comes from an exact conditional test: given the '
        "n incidents of both spans, this span's count is Binomial(n, 1/2) when nothing "
        "changed (Przyborowski & Wilenski 1940), so 2 → 4 is not called a doubling. The rate "
        "per 1,000 households shows only when the grids record households.",
    ),
    "hs_help_gi": (
        "把事件计入规则格网（默认大小取非空格平均约5起事件的最小整数尺寸），对每个格及其相邻格计算"
        "Getis-Ord Gi* z 值（Getis & Ord 1992；Ord & Getis 1995），并按 Benjamini-Hochberg "
        "错误发现率校正后分为 99%/95%/90% 置信的热点和冷点（同 Esri“热点分析”）。"
        "右侧的 PAI（Chainey, Tompson & Uhlig 2008）= 命中率 ÷ 面积占比：用前4周事件最多的5%格网"
        "预测下一周，PAI 为1等于随机挑选，越大越好。",
        "Incidents are counted on regular cells (by default the smallest round size whose "
        "non-empty cells hold about 5 incidents), and each cell with its neighbours gets the "
        "Getis-Ord Gi* z-score (Getis & Ord 1992; Ord & Getis 1995), classed as hot or cold "
        "spots at 99/95/90 % confidence after a Benjamini-Hochberg false-discovery-rate "
        "correction (as Esri's Hot Spot Analysis). Beside it, the PAI (Chainey, Tompson & "
        "Uhlig 2008) = hit rate ÷ area share, for the busiest 5 % of cells of the previous "
        "4 weeks predicting the next week: 1 is no better than chance, higher is better.",
    ),
    "hs_help_emerging": (
        "逐周计算每个格网的 Gi*，再用 Mann-Kendall 检验 Gi* z 值的趋势，按 Esri“新兴热点分析”"
        "的规则分类：新、连续、加剧、持续、减弱、零星、振荡、历史热点（冷点同理）。"
        "格网大小默认取最小的整数尺寸，使有事件的格网平均每周至少2起（否则周计数多为0，"
        "趋势检验无意义），可手动修改。至少需要3周；周数越多，分类越可靠。",
        "Gi* is computed for every cell in every week, the trend of each cell's weekly z-scores "
        "is tested with Mann-Kendall, and the history is classed by the rules of Esri's "
        "Emerging Hot Spot Analysis: new, consecutive, intensifying, persistent, diminishing, "
        "sporadic, oscillating or historical hot spot (and cold spot). The default cell size "
        "is the smallest round size at which cells with incidents average at least 2 a week "
        "(finer cells hold mostly zero weeks, where a trend test means nothing); you can "
        "change it. It needs at least 3 weeks; more weeks give firmer classes.",
    ),
    "hs_help_time": (
        "每个小时×星期格子里的事件数。只知道时间范围的事件（如夜间发生、早上发现的盗窃）按"
        "Ratcliffe（2002）的时段加权法（aoristic）平均分摊到可能发生的每个小时。"
        "在下方选择星期和小时，地图只显示该时段的事件密度。",
        "Incidents per hour of the week. Incidents known only within a time range (a theft "
        "between evening and morning) are spread evenly over the hours they may have happened "
        "in (Ratcliffe 2002, aoristic analysis). Choose a weekday and an hour below to map "
        "only that time.",
    ),
    "hs_help_repeats": (
        "重复地点：相距不超过所设距离的事件视为同一地点，按事件数排列。近重复检验（Knox 1964；"
        "Ratcliffe 近重复计算器，2009）：把空间上相近的事件对按时间间隔计数，与随机打乱时间后的"
        "期望比较；比值大于1且 p 值小，说明一处发生后附近短期内更易再发。按类别分别检验。",
        "Repeat places: incidents within the chosen distance count as one place, busiest "
        "first. Near-repeat test (Knox 1964; Ratcliffe's Near Repeat Calculator, 2009): pairs "
        "of incidents close in space are counted by how close they are in time and compared "
        "with chance (times shuffled over the places); a ratio above 1 with a small p-value "
        "means an incident raises the risk nearby for a while. Run per category.",
    ),
    "hs_help_streets": (
        "每起事件归到最近的路段（50米内）。Weisburd（2015，“犯罪集中定律”）发现各城市约50%的"
        "犯罪集中在2%–6%的路段上。曲线越靠左上，越集中；地图标出集中了一半事件的路段。",
        "Each incident is snapped to its nearest street segment (within 50 m). Weisburd "
        '(2015, "The law of crime concentration") found that in city after city about 50 % '
        "of crime falls on 2-6 % of street segments. The higher the curve rises on the left, "
        "the more concentrated; the map shows the segments holding half the incidents.",
    ),
    "hs_help_warnings": (
        "每个网格、每个类别最近7天的事件数与该网格此前8周的基线比较：在基线平均水平下出现"
        "这么多事件的概率（泊松分布；基线波动大时用负二项分布）。p<0.01 且至少5起为红色，"
        "p<0.05 且至少3起为橙色，p<0.10 且至少3起为黄色。",
        "Each grid's count per category in the last 7 days against that grid's own baseline "
        "of the 8 weeks before: how likely so many incidents are at the baseline rate "
        "(Poisson, or negative binomial when the baseline varies more). Red: p<0.01 and at "
        "least 5; orange: p<0.05 and at least 3; yellow: p<0.10 and at least 3.",
    ),
    "hs_help_requests": (
        "12345 民生诉求的时限：15分钟内联系诉求人，简单诉求24小时内办结，复杂诉求3天内答复。"
        "按时办结率的分母是结果已知的诉求（已办结且有办结时间，或未办结且已超期）。",
        "Deadlines of citizen requests (12345): contact the caller within 15 minutes, close "
        "a simple request within 24 hours, answer a complex one within 3 days. The on-time "
        "rate counts requests whose outcome is known (closed at a known time, or open past "
        "the deadline).",
    ),
    "hs_help_report": (
        "周报是一个 Excel 工作簿（概况、变化、预警、诉求时效、超期诉求、地图）和几张离线绘制的"
        "PNG 地图，按当前筛选条件（不含日期）统计截至所选结束日期的一周。"
        "移交巡防：把当前热点格网、新兴热点和预警网格保存为工作空间的热点（hotspots）图层新版本，"
        "供巡防规划页面使用；每次保存都记录编辑人。",
        "The weekly report is an Excel workbook (summary, changes, warnings, request deadlines, "
        "overdue requests, maps) with PNG maps drawn offline, for the week up to the chosen end "
        "date, with the current filters (other than the dates). Hand-off: the current hot-spot "
        "cells, emerging hot spots and warning grids are saved as a new version of the "
        "workspace's hotspots layer for patrol planning; every save records the editor.",
    ),
    # -- planners: grids (gridmap.grids: topology, edits, partitions)
    "grids_blocks_too_coarse": (
        "街区太大，无法使每个网格户数都在目标的 ±{tolerance} 以内：最均衡的方案偏差为 ±{achieved}"
        "（最大街区 {largest} 户）",
        "blocks are too coarse for ±{tolerance} of the target: the most even plan found is"
        " within ±{achieved} (largest block: {largest} households)",
    ),
    "grids_islands_bridged": (
        "{n} 处街区与其他街区不相连（岛屿或仅以角点相接），已并入最近的网格",
        "{n} groups of blocks are cut off from the rest (islands, or touching at a corner"
        " only) and were joined to the nearest grid",
    ),
    "grids_tree_failed": (
        "生成树划分无法在 ±{tolerance} 内平衡这些街区，已改用 METIS 初始方案",
        "the spanning-tree partition could not balance these blocks within ±{tolerance};"
        " started from METIS instead",
    ),
    "grids_unknown_grid": ("没有编码为 {code} 的网格", "there is no grid {code}"),
    "grids_line_not_crossing": (
        "分割线没有穿过网格 {code}：线必须从网格一侧进入、从另一侧穿出",
        "the line does not cross grid {code}: it must enter the grid on one side and leave"
        " it on another",
    ),
    "grids_split_sliver": (
        "分割后有一块只有 {area} 平方米（小于 {limit} 平方米）：请沿街道重新画线",
        "the split leaves a piece of only {area} m² (less than {limit} m²): draw the line"
        " along a street",
    ),
    "grids_streets_do_not_split": (
        "所选街道没有把网格 {code} 分成两块或以上：请选择从网格边界到边界的连续街段",
        "the chosen street segments do not divide grid {code}: choose segments that run"
        " from one side of the grid to another",
    ),
    "grids_merge_needs_two": ("合并至少需要两个网格", "a merge needs at least two grids"),
    "grids_not_same_community": (
        "网格 {codes} 不属于同一个社区：网格不能跨社区",
        "grids {codes} are in different communities: a grid cannot cross its community",
    ),
    "grids_not_adjacent": (
        "网格 {codes} 不相邻：合并结果不连续（分成 {pieces} 块）",
        "grids {codes} are not adjacent: the merged grid would not be contiguous ({pieces} pieces)",
    ),
    "grids_unknown_blocks": ("没有这些街区：{ids}", "there are no blocks {ids}"),
    "grids_blocks_same_grid": (
        "街区 {ids} 已在网格 {code} 中",
        "blocks {ids} are already in grid {code}",
    ),
    "grids_move_empties": (
        "移走这些街区后网格 {code} 将没有街区：请改为合并网格",
        "moving these blocks would leave grid {code} empty: merge the grids instead",
    ),
    "grids_not_contiguous": (
        "结果不连续：网格 {code} 将分成 {pieces} 块",
        "the result is not contiguous: grid {code} would fall into {pieces} pieces",
    ),
    # (end of planners block)
    #
    # -- field gaps
    "date_time_joined": (
        "日期列 {date} 与时间列 {time} 已合并为 {column}",
        "the date column {date} and the time column {time} were joined into {column}",
    ),
    "crs_choose_china": (
        "这些点位于中国境内，但没有选择坐标系：按 WGS-84 读取可能偏移 300-700 米。"
        "请选择文件所用的坐标系后再写入",
        "the points lie in China but no coordinate system was chosen: read as WGS-84 they "
        "may be 300-700 m off. Choose the file's coordinate system before writing",
    ),
    "crs_suggest_streets": (
        "建议：工作空间的街道图层显示应选 {system}（{detail}）",
        "suggestion: the workspace's streets say {system} ({detail})",
    ),
    # -- police pages
    "pp_no_streets": (
        "本工作空间没有道路（streets 图层）：无法计算沿路网的出警时间。请在“数据”页导入道路"
        "（OpenStreetMap 线要素，GeoPackage/Shapefile/GeoJSON），或使用示例工作空间。",
        "This workspace has no streets (the streets layer): travel times along the network "
        "cannot be computed. Import streets on the Data page (OpenStreetMap lines, "
        "GeoPackage/Shapefile/GeoJSON), or use the sample workspace.",
    ),
    "pp_no_posts": (
        "本工作空间没有守望岗（posts 图层）：覆盖为零。请在“数据”页导入岗位点位（需 post_id，"
        "可选 mode：walk/bike/car），或在“假设调整岗位”中新增一个岗位后保存。",
        "This workspace has no sentinel posts (the posts layer): nothing is covered. Import "
        "post points on the Data page (post_id, optional mode: walk/bike/car), or add one "
        "under What if and save it.",
    ),
    "pp_no_incidents": (
        "所选时段内没有事件：无法按事件选址。",
        "No incidents in the chosen period: nothing to site posts for.",
    ),
    "pp_no_sites": (
        "本工作空间没有重点目标（sites 图层）：请在“数据”页导入。",
        "This workspace has no key sites (the sites layer): import them on the Data page.",
    ),
    "pp_synthetic": (
        "事件为合成数据，覆盖中的事件占比仅作演示。",
        "The incidents are synthetic: incident shares are a demonstration only.",
    ),
    "pp_help_coverage": (
        "每个岗位沿道路（而非直线）在 1、3、5 分钟内能到达的路段，按最先到达的分钟数着色；"
        "一条路段只有部分可达时，只计可达的那一段。出警时间 = 路段长度 ÷ 速度：步行 5 km/h，"
        "骑行 15 km/h，驾车取道路限速（maxspeed），无限速时取 CJJ 37-2012《城市道路工程设计"
        "规范》各级道路设计速度的下限：快速路 60、主干路 40、次干路 30、支路 20 km/h"
        "（匝道低一级，小区道路 15、生活街道 10）。"
        "道路占比 = 可达道路长度 ÷ 全部道路长度；重点目标按其自身响应等级（1/3/5 分钟）判断；"
        "事件占比 = 可达事件数 ÷ 全部事件数。各网格按路段中点所在网格统计。",
        "The street pieces each post reaches within 1, 3 and 5 minutes *along the streets* "
        "(not as the crow flies), coloured by the first cutoff that reaches them; a street "
        "reached only in part counts only that part. Travel time = length ÷ speed: walking "
        "5 km/h, cycling 15 km/h, driving the street's maxspeed, else the lower design speed "
        "of its class in CJJ 37-2012 (China's urban road design code): expressways 60, arterials "
        "40, secondary roads 30, branch roads 20 km/h (links one class lower, service roads 15, "
        "living streets 10). Street share = reached length ÷ all street length; key "
        "sites are judged against their own response class (1/3/5 min); incident share = "
        "incidents reached ÷ all incidents. Per grid, by the grid holding each piece's midpoint.",
    ),
    "pp_help_gaps": (
        "盲区：5 分钟内没有任何岗位能沿道路到达的路段（地图红色），未在自身响应等级内到达的"
        "重点目标（红点），以及 5 分钟外道路占比最高的网格。",
        "Gaps: street pieces no post reaches within 5 minutes along the streets (red on the "
        "map), key sites not reached within their own response class (red dots), and the "
        "grids with the largest share of streets beyond 5 minutes.",
    ),
    "pp_help_whatif": (
        "在不保存的情况下新增、移动或撤销一个岗位，比较调整前后的覆盖指标。新位置可选路口或"
        "输入 WGS-84 经纬度；点位会吸附到最近的道路。满意后可保存为 posts 图层的新版本"
        "（记录侧边栏填写的编辑人，可在“数据”页恢复旧版本）。",
        "Add, move or remove one post without saving, and compare the coverage figures "
        "before and after. A new place is a street intersection or WGS-84 coordinates; it "
        "is snapped to the nearest street. Save it as a new version of the posts layer when "
        "satisfied (recorded under the editor named in the sidebar; earlier versions can be "
        "restored on the Data page).",
    ),
    "pp_help_siting": (
        "最大覆盖选址（MCLP；Church & ReVelle 1974，*Papers of the Regional Science "
        "Association* 32）：在路口中选 k 个新岗位，使规定分钟内可达的事件最多，现有岗位保留。"
        "集合覆盖选址（LSCP；Toregas、Swain、ReVelle & Bergman 1971，*Operations Research* "
        "19(6)）：使每个重点目标都在自身响应等级内可达所需的最少新岗位。两者都用 HiGHS "
        "分支切割（branch and cut）精确求解；“最优性间隙”为 0 表示已证明最优，"
        "超出时间上限时给出当前最好解及其"
        "间隙。旁边列出贪心解（逐个加入新增覆盖最多的路口）作对比。现有岗位按所选方式计算。",
        "Maximal covering (MCLP; Church & ReVelle 1974, *Papers of the Regional Science "
        "Association* 32): choose k new posts among street intersections to reach the most "
        "incidents within the given minutes, keeping the current posts. Set covering (LSCP; "
        "Toregas, Swain, ReVelle & Bergman 1971, *Operations Research* 19(6)): the fewest "
        "new posts so every key site is reached within its own response class. Both are "
        "solved exactly with HiGHS branch and cut; an optimality gap of 0 means proven "
        "optimal, and at the time limit the best answer found is shown with its gap. The "
        "greedy answer (adding the intersection that covers most, one at a time) is shown "
        "beside it. Current posts travel in the chosen mode.",
    ),
    # -- planner page
    "grids_line_unreadable": (
        "无法识别坐标“{text}”：请写成“经度,纬度”",
        "cannot read the point '{text}': write it as 'lon,lat'",
    ),
    "grids_line_needs_two": ("拆分线至少需要两个点", "a split line needs at least two points"),
    "grids_pick_target": ("请选择移入的网格", "choose the grid to move the blocks to"),
    "grids_pick_grid": ("请选择要拆分的网格", "choose the grid to split"),
    "grids_auto_needs_community": (
        "自动划分针对一个社区（12 位编码）",
        "automatic plans work on one community (a 12-digit code)",
    ),
    "grids_fix_left": (
        "修复后仍有 {n} 个问题需要人工处理（较大的分离块、跨社区网格）",
        "{n} problems remain for a planner (large stray parts, grids crossing communities)",
    ),
    "grids_help_table": (
        "每行一个网格：户数、人口、面积、近12个月事件数、重点目标数和网格员。工作量指数 ="
        " 100 × Σ 权重 × (该网格数值 ÷ 本范围网格平均值) ÷ Σ 权重：平均负荷的网格为 100，"
        "两倍负荷为 200。默认权重为户数 0.5、事件 0.3、重点目标 0.2，可用滑块调整。",
        "One row per grid: households, population, area, incidents of the last 12 months, key "
        "sites and the grid worker. Workload index = 100 × Σ weight × (grid's value ÷ the "
        "area's mean per grid) ÷ Σ weight: a grid of average load scores 100, twice the load "
        "200. Default weights: households 0.5, incidents 0.3, key sites 0.2 — move the sliders.",
    ),
    "grids_help_topology": (
        "检查无效（自相交）环、多块网格、碎片、重叠、缝隙和跨社区网格，紫点标出位置。"
        "“安全修复”只做无需判断的修改：修复无效环，把重叠归给一个网格，把缝隙、碎片和小于"
        " 500 m² 的分离块并入共边最长的相邻网格；较大的分离块和跨社区网格留给规划人员。"
        "修复结果先预览，提交后成为新版本。",
        "Checks for invalid (self-crossing) rings, grids in several parts, slivers, overlaps, "
        "gaps and grids crossing their community; purple points mark where. The safe fixes "
        "need no judgement: repair invalid rings, give each overlap to one grid, and put gaps, "
        "slivers and stray parts under 500 m² into the neighbour sharing the longest edge. "
        "Large stray parts and grids crossing communities are left to a planner. Fixes are "
        "previewed and committed as a new version.",
    ),
    "grids_help_edit": (
        "所有调整都以街区（道路围合的地块）为单位，网格就是其街区之和，因此不会产生缝隙或重叠，"
        "户数守恒。合并要求网格相邻且属于同一社区；移动街区后各网格必须仍连成一片；拆分可沿所选道路，"
        "或用一条坐标线（被切开的街区按面积分摊户数）。调整后的社区网格按编号规则重新编号："
        "自北向南分行、行内自西向东，依次为 001、002…"
        "（编码 = 6 位区县 + 3 位街道 + 3 位社区 + 3 位网格）。",
        "Every edit works on blocks (street-enclosed parcels); a grid is the union of its "
        "blocks, so no edit opens a gap or an overlap and households are conserved. A merge "
        "needs adjacent grids of one community; after moving blocks every grid must still be "
        "one piece; a split follows chosen streets or a line of coordinates (cut blocks share "
        "their households by area). The community's grids are then renumbered by the rule: "
        "rows north to south, west to east within a row, 001, 002, … (code = 6-digit district "
        "+ 3-digit street + 3-digit community + 3-digit grid).",
    ),
    "grids_help_auto": (
        "方案由街区组成，边界都沿道路。起始方案用 METIS 多级图划分（Karypis 与 Kumar，"
        "SIAM J. Sci. Comput. 20，1998），或 GerryChain 的随机生成树切分（DeFord、Duchin 与"
        " Solomon，2021）；再由局部搜索移动边界街区，"
        "先使每个网格户数在目标 ±容差 内，再缩短内部边界。"
        "紧凑度为 Polsby-Popper 指数 4π·面积/周长²（Polsby 与 Popper，Yale Law & Policy Review 9，"
        "1991；圆为 1）。街区过大无法达到容差时，方案会注明。",
        "Plans are made of blocks, so every boundary follows streets. A plan starts from METIS "
        "multilevel graph partitioning (Karypis & Kumar, SIAM J. Sci. Comput. 20, 1998) or "
        "GerryChain's random spanning-tree cuts (DeFord, Duchin & Solomon, 2021); a local "
        "search then moves boundary blocks, first to bring every grid within ±tolerance of its "
        "target, then to shorten the internal boundary. Compactness is the Polsby-Popper score "
        "4π·area/perimeter² (Polsby & Popper, Yale Law & Policy Review 9, 1991; 1 for a "
        "disc). When blocks are too coarse for the tolerance the plan says so.",
    ),
    "grids_help_history": (
        "每次提交都是网格图层的一个新版本，记录编辑人、时间和说明。地图以红色标出与上一版相比"
        "边界改变或新出现的网格。“恢复”把所选版本作为新版本重新生效，不删除任何历史。",
        "Every commit is a new version of the grids layer, with its editor, time and message. "
        "The map shows in red the grids whose outline changed (or that are new) since the "
        "previous version. Reverting makes the chosen version current again as a new version; "
        "no history is deleted.",
    ),
    # -- store: one writer at a time, workspace names, versions
    "workspace_name_invalid": (
        "工作空间名称“{name}”无效：只能使用字母、数字、汉字、“-”和“_”"
        "（最多 {limit} 个字符，不能以“-”开头）",
        "workspace name '{name}' is not allowed: use letters, digits, Chinese characters,"
        " '-' and '_' only (at most {limit} characters, not starting with '-')",
    ),
    "workspace_busy": (
        "工作空间正忙：{who} 自 {since} 起正在写入，已等待 {seconds} 秒；请稍后再试",
        "workspace busy: {who} has been writing since {since} (waited {seconds} s); try again",
    ),
    "version_conflict": (
        "{layer} 图层已被他人更改：你基于第 {based_on} 版修改，但当前是第 {current} 版"
        "（{author}，{when}）；你的修改没有保存，请在当前版本上重新操作",
        "layer `{layer}` changed meanwhile: your edit was based on version {based_on}, but"
        " version {current} ({author}, {when}) is current now; nothing was saved, apply"
        " your edit again on the current version",
    ),
    "workspace_write_failed": (
        "无法写入工作空间 {name}：{detail}；没有保存任何内容（请检查文件是否只读、磁盘是否已满）",
        "workspace {name} could not be written: {detail}; nothing was saved (is the file"
        " read-only, or the disk full?)",
    ),
    "version_conflict_gone": (
        "{layer} 图层没有第 {based_on} 版；你的修改没有保存",
        "layer `{layer}` has no version {based_on}; nothing was saved",
    ),
    "ids_added_meanwhile": (
        "导入期间他人已写入 {n} 个相同的编号（{column}：{ids}）；没有保存，请重新检查文件后再导入",
        "{n} ids ({column}: {ids}) were added to the workspace by someone else while you"
        " imported; nothing was saved: check the file again and import",
    ),
    # (end of store block)
    #
    # -- hostile and malformed GIS files and zips (drivers, members, sizes)
    "zip_too_many_members": (
        "压缩包 {name} 中有 {n} 个文件，超过 {limit} 个的上限",
        "`path` {name} holds {n} members, more than the limit of {limit}",
    ),
    "zip_unsafe_member": (
        "压缩包 {name} 中的文件名 {member} 指向压缩包以外的位置，已拒绝读取",
        "`path` {name} holds a member named {member}, which points outside the archive; "
        "the file was refused",
    ),
    "zip_link_member": (
        "压缩包 {name} 中的 {member} 是一个符号链接（指向别处的文件），已拒绝读取",
        "`path` {name} holds {member}, a symbolic link (to a file elsewhere); the file was refused",
    ),
    "zip_encrypted": (
        "压缩包 {name} 中的 {member} 有密码保护；请先解密再上传",
        "`path` {name}: {member} is password-protected; unpack it first",
    ),
    "zip_member_unreadable": (
        "压缩包 {name} 中的 {member} 已损坏，无法解压：{detail}",
        "`path` {name}: {member} cannot be unpacked (the archive is damaged): {detail}",
    ),
    "zip_nested": (
        "压缩包 {name} 中只有另一个压缩包；请先解压外层，再上传里面的压缩包",
        "`path` {name} holds only other zip archives; unpack the outer one and upload the "
        "inner zip",
    ),
    "shapefile_invalid": (
        "文件 {name} 中 Shapefile 的 {part} 文件不是有效的 Shapefile 格式",
        "`path` {name}: the Shapefile's {part} is not in Shapefile format",
    ),
    "shapefile_part_ignored": (
        "文件 {name} 中 Shapefile 的 {ext} 部分过大，不可能是有效文件，已忽略",
        "`path` {name}: the Shapefile's {ext} is too large to be one; ignored it",
    ),
    "gpkg_external": (
        "GeoPackage 文件 {name} 引用了文件以外的数据源（{what}），为安全起见已拒绝读取",
        "`path` {name} is a GeoPackage that reaches outside itself ({what}); refused for safety",
    ),
    "gpkg_view_layer": (
        "GeoPackage 文件 {name} 中的图层 {layer} 是视图（SQL 查询），不能导入；"
        "请在 GIS 软件中将其导出为普通图层",
        "`path` {name}: layer {layer} is a view (an SQL query), which is not imported; "
        "export it as a table first",
    ),
    "geojson_value_too_long": (
        "GeoJSON 文件 {name} 中有一个值超过 {limit} 个字符（GDAL 能读取的上限），"
        "也许是嵌入的图片；请删除或缩短该值",
        "`path` {name} holds a value longer than {limit} characters, the most GDAL reads "
        "(an embedded photo?); remove or shorten it",
    ),
    "vector_geometries_unreadable": (
        "文件 {name} 中所有要素的几何图形都无法读取（已损坏或格式不对）",
        "`path` {name}: no feature's geometry can be read (damaged or malformed)",
    ),
    "row_geometry_unreadable": (
        "几何图形无法读取（已损坏或格式不对，例如多边形没有闭合）",
        "the geometry cannot be read (damaged or malformed, e.g. a ring that does not close)",
    ),
    "crs_unreadable": (
        "文件 {name} 声明的坐标系无法识别，已按所选坐标系（默认 WGS-84）读取",
        "`path` {name} declares a coordinate system that cannot be read; used `crs` "
        "(WGS-84 by default)",
    ),
    "geojson_not_utf8": (
        "GeoJSON 文件 {name} 的文字不是 UTF-8 编码（GeoJSON 规定使用 UTF-8）；"
        "请在 GIS 软件或文本编辑器中以 UTF-8 另存",
        "`path` {name} holds text that is not UTF-8, which GeoJSON must be; save it as UTF-8",
    ),
    "cpg_ignored": (
        "Shapefile 的 .cpg 文件内容“{cpg}”不是可用的编码名称，已忽略并自动识别编码",
        "the Shapefile's .cpg says {cpg!r}, which is no usable encoding; ignored it and "
        "detected the encoding",
    ),
    "coordinate_attributes_renamed": (
        "属性列名与坐标列名相同，已改名：{renamed}（坐标取自几何图形）",
        "attributes named like coordinates were renamed: {renamed} (the coordinates come "
        "from the geometry)",
    ),
    # (end of hostile GIS files block)
    #
    # -- text tables: CSV and Excel faults
    "too_many_columns": (
        "文件 {name} 的表头有 {n} 列，超过了 gridmap 能读取的 {limit:,} 列上限；"
        "这可能是行列转置的表格，或者根本不是表格",
        "`path` {name}: the header has {n} columns, more than the {limit:,} gridmap reads; "
        "is the table transposed, or not a table at all?",
    ),
    "csv_header_too_long": (
        "文件 {name} 的第一行超过 256 KB，找不到表头；请检查文件是否为 CSV 表格",
        "`path` {name}: the first line is longer than 256 KB, so no header can be found; "
        "is it a CSV table?",
    ),
    "csv_unclosed_quote": (
        "文件 {name} 第 {line} 行：这里的引号没有闭合，后面的行都被读成了这个单元格的内容；"
        "请补上或删掉这个引号后再导入",
        "`path` {name}, line {line}: a quotation mark opens a value that is never closed, "
        "so the rows after it are read as that value's text; close or remove the quote",
    ),
    "csv_nul_removed": (
        "已删除 {n} 个空字符（NUL，零字节），在第 {lines} 行（共 {n_lines} 行）；"
        "这些字符会让单元格在保存时被截断",
        "{n} NUL characters (zero bytes) removed, on lines {lines} ({n_lines} lines in all); "
        "kept, they would cut the cells short when stored",
    ),
    "encoding_mixed_lines": (
        "文件混用了两种编码：第 {lines} 行（共 {n} 行）是 {encoding} 编码，其余带中文的行是 "
        "{other} 编码；每行已按自己的编码读取，请核对这些行",
        "the file mixes two encodings: lines {lines} ({n} in all) are {encoding} text, the "
        "other lines with Chinese text are {other}; each line was read in its own encoding, "
        "check those lines",
    ),
    "encoding_utf16_no_bom": (
        "文件是没有字节顺序标记（BOM）的 {encoding} 文本，已按此编码读取",
        "the file is {encoding} text without a byte-order mark; read as such",
    ),
    "xlsx_no_sheets": (
        "文件 {name} 不是有效的 Excel .xlsx 工作簿：其中没有可读取的工作表",
        "`path` {name} is not a valid Excel .xlsx workbook: it holds no readable worksheet",
    ),
    "xlsx_unsafe_xml": (
        "文件 {name} 不是有效的 Excel .xlsx 工作簿：其 XML 声明了实体（可被用来读取服务器上的"
        "文件或耗尽内存），已拒绝读取",
        "`path` {name} is not a valid Excel .xlsx workbook: its XML declares entities (a way "
        "to read the server's files or exhaust its memory), so it was not read",
    ),
    # (end of text tables block)
    #
    # -- app safety: exports, uploads, editor names
    "editor_name_invalid": (
        "编辑人姓名“{name}”无效：请填写 1 至 {limit} 个字符，不能含换行等控制字符",
        "editor name '{name}' is not allowed: use 1 to {limit} characters, without line "
        "breaks or other control characters",
    ),
    # (end of app safety block)
    #
    # -- field inputs: coordinate systems, spellings, times
    "crs_zone_prefix": (
        "{column} 列的东坐标前带有高斯-克吕格投影带号 {zone}：已按 {used} 读取（而不是 {given}）",
        "the eastings in {column} carry the Gauss-Krüger zone number {zone} in front: read "
        "them as {used} instead of {given}",
    ),
    "crs_zone_prefix_missing": (
        "{column} 列的东坐标前没有投影带号，而 {given} 要求带号：已按 {used} 读取",
        "the eastings in {column} have no zone number in front, which {given} expects: read "
        "them as {used}",
    ),
    "zone_prefix_hint": (
        "坐标像是东坐标前带投影带号 {zone} 的高斯-克吕格坐标（米）：如为 CGCS2000，"
        "请将坐标系设为 {epsg}",
        "the coordinates look like Gauss-Krüger metres with the zone number {zone} in front "
        "of the easting: if they are CGCS2000, set `crs` to {epsg}",
    ),
    "row_geometry_outside_crs_area": (
        "按 {crs} 读取后，几何位于该坐标系的适用范围（{area}）之外",
        "once read as {crs}, the geometry lies outside the area that system is for ({area})",
    ),
    "crs_ambiguous_china": (
        "{n} 个点（共 {total} 个）位于中国境内，但没有指定坐标系，暂按 WGS-84 读取。"
        "国内业务数据多为 GCJ-02（高德、腾讯）或 BD-09（百度），选错会使点位偏移 300–700 米："
        "请选择坐标系",
        "{n} of {total} points lie in China but no coordinate system was given, so they were "
        "read as WGS-84. Chinese business data is usually GCJ-02 (Amap, Tencent) or BD-09 "
        "(Baidu), and a wrong guess moves points 300-700 m: choose the coordinate system "
        "(`crs`)",
    ),
    "crs_best_fit": (
        "按 {system} 读取时点位与街道最吻合（到最近街道的距离中位数 {metres} 米；{others}）",
        "the points line up best with the streets when read as {system} (median distance "
        "to the nearest street {metres} m; {others})",
    ),
    "crs_best_fit_unclear": (
        "无法根据街道判断坐标系：各坐标系下到最近街道的距离中位数相近（{all}）",
        "the streets do not tell the coordinate system apart: median distances to the "
        "nearest street are alike ({all})",
    ),
    "time_column_missing": (
        "导入到图层“{layer}”：文件中没有“{role_name}”时间列（文件中的列：{columns}）。"
        "请用 --column {role}=列名"
        "（或 columns={{'{role}': '列名'}}）指定时间列，或用 --default-time（default_time）"
        "为所有行给出同一时间",
        "layer `{layer}`: the file has no {role_name} column (columns in the file: {columns}). "
        "Name the column "
        "with --column {role}=<column> (columns={{'{role}': '<column>'}}), or give every "
        "row one time with --default-time (`default_time`)",
    ),
    "default_time_used": (
        "文件中没有时间列：{n} 行的 {role} 均设为 {time}",
        "the file has no time column: {role} of all {n} rows set to {time}",
    ),
    # (end of field inputs block)
}


def _merge_area_texts() -> None:
    """Add the texts of the modules in :mod:`gridmap.texts` to TEXT and MESSAGES."""
    import importlib
    import pkgutil

    from gridmap import texts

    for info in sorted(pkgutil.iter_modules(texts.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"gridmap.texts.{info.name}")
        for name, table in (("TEXT", TEXT), ("MESSAGES", MESSAGES)):
            extra: dict[str, tuple[str, str]] = getattr(module, name, {})
            twice = sorted(set(extra) & set(table))
            if twice:
                msg = f"gridmap.texts.{info.name}.{name} defines keys already defined: {twice}"
                raise RuntimeError(msg)
            table.update(extra)


_merge_area_texts()


class Words(str):
    """A message value that has words in both languages: English as the ``str``, plus `zh`.

    Message values are language-neutral (numbers, file names); a layer's or a column's
    name is not, and a Chinese message naming ``incidents`` or ``occurred_at`` read as
    English to users (seen on the Data page).

    >>> str(Message("time_column_missing", layer=Words("Incidents", "事件"), role="x",
    ...             role_name=Words("Occurred at", "发生时间"), columns="a")).split(":")[0]
    'layer `Incidents`'
    """

    zh: str

    def __new__(cls, en: str, zh: str) -> Words:
        made = super().__new__(cls, en)
        made.zh = zh
        return made

    def __reduce__(self) -> tuple[object, ...]:
        return (Words, (str(self), self.zh))


class Message(str):
    """A user-facing message: its English text as a ``str``, plus a key and values.

    >>> m = Message("generated_ids", n=3, column="incident_id")
    >>> str(m)
    'no id column: 3 ids generated in `incident_id`'
    >>> m.text("zh")
    '文件没有编号列：已在 incident_id 中生成 3 个编号'
    """

    key: str
    values: dict[str, object]

    def __new__(cls, key: str, /, **values: object) -> Message:
        try:
            _, en = MESSAGES[key]
        except KeyError:
            msg = f"`key` {key!r} is not a known message"
            raise KeyError(msg) from None
        made = super().__new__(cls, en.format(**values))
        made.key = key
        made.values = values
        return made

    def text(self, lang: str) -> str:
        """The message in `lang` ("zh" or "en")."""
        zh, en = MESSAGES[self.key]
        if lang != "zh":
            return en.format(**self.values)
        values = {k: v.zh if isinstance(v, Words) else v for k, v in self.values.items()}
        return zh.format(**values)

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled results (Streamlit session state, caches) keep their key and values.
        return (_message, (self.key, self.values))


def _message(key: str, values: dict[str, object]) -> Message:
    return Message(key, **values)


def localize(message: object, lang: str = "zh") -> str:
    """`message` in `lang`: a :class:`Message`, an exception raised with one, or any text.

    Text that is not a :class:`Message` is shown as it is (English).

    >>> from gridmap import ImportFileError
    >>> localize(ImportFileError(Message("generated_ids", n=1, column="post_id")), "zh")
    '文件没有编号列：已在 post_id 中生成 1 个编号'
    >>> localize(ValueError("plain"), "zh")
    'plain'
    """
    if isinstance(message, BaseException):
        message = message.args[0] if len(message.args) == 1 else str(message)
    if isinstance(message, Message):
        return message.text(lang)
    return str(message)
