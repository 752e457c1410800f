"""Accounts, roles, area scope, masking of personal data and the audit log (issue #10).

With no account in a workspace the app and the CLI run as the single-user laptop mode:
nobody signs in and nothing is filtered. Once an account exists, every reader goes
through :func:`scoped`, which filters each layer to the account's :class:`Scope` and masks
personal data for roles without the right; writes, restores, exports and sign-ins are
recorded with :func:`record`.

See ``docs/architecture.md`` (Accounts, scope and audit) for the design.
"""

from gridmap.access._accounts import (
    PASSWORD_MIN,
    THROTTLE,
    TRUSTED_HEADER_ENV,
    Account,
    Session,
    SignInError,
    SignInThrottle,
    accounts_configured,
    add_account,
    check_scope_in_grids,
    check_user_name,
    get_account,
    list_accounts,
    session_from_header,
    set_password,
    sign_in,
    trusted_header,
    update_account,
)
from gridmap.access._audit import ACTIONS, audit_csv, export_audit, read_audit, record
from gridmap.access._masking import id_card_check_digit, mask_columns, mask_personal_data
from gridmap.access._pgstorage import PostGISAccessStorage
from gridmap.access._roles import (
    LAPTOP_RIGHTS,
    PAGES,
    ROLES,
    AccessDeniedError,
    Rights,
    check_role,
    rights,
)
from gridmap.access._scope import PREFIX_LENGTHS, Scope, filter_to_scope, in_scope, scope_area
from gridmap.access._scoped import (
    PERSONAL_COLUMNS,
    ScopedStore,
    for_command_line,
    personal_columns,
    record_export,
    scoped,
)
from gridmap.access._storage import (
    ACCOUNTS_TABLE,
    AUDIT_TABLE,
    AccessStorage,
    GeoPackageAccessStorage,
    access_storage,
    copy_access,
)

__all__ = [
    "ACCOUNTS_TABLE",
    "ACTIONS",
    "AUDIT_TABLE",
    "LAPTOP_RIGHTS",
    "PAGES",
    "PASSWORD_MIN",
    "PERSONAL_COLUMNS",
    "PREFIX_LENGTHS",
    "ROLES",
    "THROTTLE",
    "TRUSTED_HEADER_ENV",
    "AccessDeniedError",
    "AccessStorage",
    "Account",
    "GeoPackageAccessStorage",
    "PostGISAccessStorage",
    "Rights",
    "Scope",
    "ScopedStore",
    "Session",
    "SignInError",
    "SignInThrottle",
    "access_storage",
    "accounts_configured",
    "add_account",
    "audit_csv",
    "check_role",
    "check_scope_in_grids",
    "check_user_name",
    "copy_access",
    "export_audit",
    "filter_to_scope",
    "for_command_line",
    "get_account",
    "id_card_check_digit",
    "in_scope",
    "list_accounts",
    "mask_columns",
    "mask_personal_data",
    "personal_columns",
    "read_audit",
    "record",
    "record_export",
    "rights",
    "scope_area",
    "scoped",
    "session_from_header",
    "set_password",
    "sign_in",
    "trusted_header",
    "update_account",
]
