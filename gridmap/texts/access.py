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
