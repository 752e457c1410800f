"""The Data page's texts added after its first release."""

TEXT = {
    "nothing_importable_here": (
        "没有可导入到本工作空间的行：请查看上面的提示和拒绝清单，修改文件后重新检查。",
        "No row can be imported into this workspace: see the notes and the rejection report "
        "above, correct the file and check it again.",
    ),
}
TEXT["export_not_allowed"] = (
    "您的角色没有导出数据的权限。",
    "Your role may not export data.",
)
TEXT["edit_not_allowed"] = (
    "您的角色不能保存新版本（只读）。",
    "Your role may not save new versions (read-only).",
)
