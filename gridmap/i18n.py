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
    "app_title": ("网格地图 gridmap", "gridmap"),
    "language": ("语言", "Language"),
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
    # coordinate roles of an imported table
    "lon": ("经度 / X", "Longitude / X"),
    "lat": ("纬度 / Y", "Latitude / Y"),
    "wkt": ("几何（WKT）", "Geometry (WKT)"),
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
#: values (numbers, file and column names).
MESSAGES: dict[str, tuple[str, str]] = {
    "generated_ids": (
        "文件没有编号列：已在 {column} 中生成 {n} 个编号",
        "no id column: {n} ids generated in `{column}`",
    ),
}


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
        return (zh if lang == "zh" else en).format(**self.values)

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
