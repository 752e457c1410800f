"""Texts of accounts, sign-in, area scope and the audit log (gridmap.access and its pages)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "access_role_invalid": (
        "未知角色 {role}；可选：{roles}",
        "unknown role {role}; choose one of {roles}",
    ),
    "access_scope_invalid": (
        "范围 {prefix} 无效：须为空（全部）或网格编码的前 6、9、12 或 15 位数字",
        "scope {prefix} is not valid: leave it empty (everything) or give the first 6, 9, 12 "
        "or 15 digits of a grid code",
    ),
    "access_denied": (
        "账号 {user} 没有此权限（{right}）",
        "account {user} may not do this ({right})",
    ),
    "access_user_invalid": (
        "账号名 {user} 无效：1 至 64 个字母、数字或 _ . @ -",
        "account name {user} is not valid: 1 to 64 letters, digits or _ . @ -",
    ),
    "access_password_short": (
        "密码至少 {n} 个字符",
        "the password must have at least {n} characters",
    ),
    "access_display_invalid": (
        "显示名称最多 {limit} 个字符，且不能含换行",
        "the display name may have at most {limit} characters and no line breaks",
    ),
    "access_scope_outside": (
        "范围 {prefix} 不在您自己的范围 {own} 之内",
        "scope {prefix} is outside your own scope {own}",
    ),
    "access_scope_no_grids": (
        "范围 {prefix} 不含本工作区的任何网格；本工作区的街道/社区编码前缀有：{known}",
        "scope {prefix} matches none of this workspace's grids; its street/community "
        "prefixes are: {known}",
    ),
    "access_last_administrator": (
        "{user} 是唯一启用的全工作区管理员：有账号的工作区至少要保留一位启用的、范围为全部的"
        "管理员。请先添加或启用另一位管理员",
        "{user} is the only enabled administrator of the whole workspace: a workspace with "
        "accounts always keeps at least one enabled administrator with scope all. Add or "
        "enable another administrator first",
    ),
    "access_user_taken": ("账号 {user} 已存在", "account {user} already exists"),
    "access_user_unknown": ("没有账号 {user}", "there is no account {user}"),
    "access_sign_in_failed": (
        "账号或密码不正确，或账号已停用",
        "wrong account name or password, or the account is disabled",
    ),
    "access_sign_in_wait": (
        "登录失败次数过多，请 {seconds} 秒后再试",
        "too many failed sign-ins: try again in {seconds} s",
    ),
    "access_header_unknown": (
        "单点登录用户 {user} 在本工作空间没有可用账号，请联系管理员",
        "single sign-on user {user} has no enabled account in this workspace: ask an administrator",
    ),
    "access_action_invalid": ("未知的审计操作 {action}", "unknown audit action {action}"),
    "access_write_outside": (
        "有 {n} 行不在您的范围 {prefix} 内，未保存",
        "{n} rows lie outside your scope {prefix}: nothing was saved",
    ),
    "access_restore_scoped": (
        "只有范围为整个工作空间的账号可以恢复或更改 {layer}：它包含所有区域",
        "only accounts scoped to the whole workspace may restore or change {layer}: it holds "
        "every area",
    ),
}

TEXT: dict[str, tuple[str, str]] = {
    "page_sign_in": ("登录", "Sign in"),
    "page_accounts": ("账号与审计", "Accounts & audit"),
    "access_signed_in_as": ("已登录：", "Signed in:"),
    "access_sign_out": ("退出登录", "Sign out"),
    "access_sign_in": ("登录", "Sign in"),
    "access_sign_in_help": (
        "忘记密码请联系本街道的系统管理员重置。多次输入错误后需等待片刻才能再试。",
        "Forgot your password? Ask your street office's administrator to reset it. After "
        "several wrong tries you must wait a while before trying again.",
    ),
    "access_user": ("账号", "Account"),
    "access_password": ("密码", "Password"),
    "access_password_again": ("再次输入密码", "Password again"),
    "access_display_name": ("显示名称", "Display name"),
    "access_role": ("角色", "Role"),
    "access_scope": ("范围（网格编码前缀）", "Scope (grid-code prefix)"),
    "access_scope_help": (
        "留空为整个工作空间；6 位为区县，9 位为街道，12 位为社区，15 位为单个网格",
        "empty for the whole workspace; 6 digits a district, 9 a street, 12 a community, "
        "15 one grid",
    ),
    "access_disabled": ("已停用", "Disabled"),
    "access_changed_at": ("修改时间 (UTC)", "Changed (UTC)"),
    "access_role_administrator": ("系统管理员", "Administrator"),
    "access_role_analyst": ("街道分析员", "Street-office analyst"),
    "access_role_police": ("民警", "Police"),
    "access_role_planner": ("规划人员", "Planner"),
    "access_role_viewer": ("网格员（只读）", "Grid worker (viewer)"),
    "access_admins_only": ("只有系统管理员可以管理账号", "Only administrators manage accounts"),
    "access_no_accounts": (
        "本工作空间还没有账号：任何人都可以不登录使用（单机模式）。创建第一个系统管理员账号后，"
        "所有人都须登录，并只能看到自己范围内的数据。",
        "This workspace has no accounts yet: anyone can use it without signing in (laptop "
        "mode). Once you create the first administrator, everyone signs in and sees only "
        "their own area.",
    ),
    "access_view": ("操作", "Task"),
    "access_view_list": ("账号列表", "Accounts"),
    "access_view_add": ("新建账号", "New account"),
    "access_view_change": ("修改账号", "Change account"),
    "access_view_password": ("重置密码", "Reset password"),
    "access_view_audit": ("审计日志", "Audit log"),
    "access_rights": ("各角色的权限", "What each role may do"),
    "access_right_pages": ("页面", "Pages"),
    "access_right_edit": ("编辑与恢复", "Edit and restore"),
    "access_right_personal": ("查看个人信息", "See personal data"),
    "access_right_export": ("导出", "Export"),
    "access_right_manage": ("管理账号", "Manage accounts"),
    "access_add": ("创建账号", "Create account"),
    "access_save": ("保存", "Save"),
    "access_reset": ("设置新密码", "Set new password"),
    "access_passwords_differ": ("两次输入的密码不一致", "The two passwords differ"),
    "access_added": ("已创建账号 {user}", "Account {user} created"),
    "access_now_sign_in": (
        "登录已启用：请用新账号登录。",
        "Sign-in is now on: sign in with the new account.",
    ),
    "access_changed": ("已保存账号 {user}", "Account {user} saved"),
    "access_password_set": ("已为 {user} 设置新密码", "New password set for {user}"),
    "access_action": ("操作类型", "Action"),
    "access_action_sign_in": ("登录", "Sign-in"),
    "access_action_sign_in_failed": ("登录失败", "Failed sign-in"),
    "access_action_write": ("写入", "Write"),
    "access_action_restore": ("恢复版本", "Restore"),
    "access_action_export": ("导出", "Export"),
    "access_action_account_add": ("新建账号", "Account created"),
    "access_action_account_change": ("修改账号", "Account changed"),
    "access_action_account_password": ("设置密码", "Password set"),
    "access_since": ("起始日期 (UTC)", "From (UTC)"),
    "access_until": ("截止日期 (UTC)", "Until (UTC)"),
    "access_audit_rows": ("{n} 条记录（最新在前）", "{n} rows (newest first)"),
    "access_audit_download": ("下载 CSV", "Download CSV"),
    "access_yes": ("是", "yes"),
    "access_no": ("否", "no"),
    "access_audit_col_id": ("序号", "ID"),
    "access_audit_col_at": ("时间 (UTC)", "Time (UTC)"),
    "access_audit_col_user": ("账号", "Account"),
    "access_audit_col_role": ("角色", "Role"),
    "access_audit_col_action": ("操作", "Action"),
    "access_audit_col_layer": ("图层", "Layer"),
    "access_audit_col_version": ("版本", "Version"),
    "access_audit_col_scope": ("范围", "Scope"),
    "access_audit_col_client": ("客户端地址", "Client address"),
    "access_audit_col_detail": ("详情", "Detail"),
}
