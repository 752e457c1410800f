"""Names people type as the editor of a change, until the app has accounts.

The web page runs under the server's operating-system account, so a version restored
from the browser was recorded as made by ``root``. Until accounts exist the page asks who
is editing and passes that name as ``author=`` to every write; the store marks such
names as unverified (:attr:`gridmap.store.LayerVersion.author_verified`), and the history
says so. This module only decides which typed names are acceptable.
"""

from __future__ import annotations

from gridmap._errors import ValidationError
from gridmap.i18n import Message

#: Longest editor name accepted (a Chinese name with a unit, 张三（朝阳派出所）, fits).
EDITOR_NAME_LIMIT = 40


def check_editor_name(name: str) -> str:
    """`name` stripped, if it can be recorded as an editor; else :class:`ValidationError`.

    Any script is fine; line breaks and other control characters are not (they would
    forge lines in the history and the command line's listing), nor is an empty name.

    >>> check_editor_name("  张三 ")
    '张三'
    >>> check_editor_name("a\\nroot")
    Traceback (most recent call last):
    ...
    gridmap._errors.ValidationError: editor name 'a?root' is not allowed: ...
    """
    text = str(name).strip()
    if not 0 < len(text) <= EDITOR_NAME_LIMIT or not text.isprintable():
        shown = "".join(ch if ch.isprintable() else "?" for ch in text[:80])
        raise ValidationError(Message("editor_name_invalid", name=shown, limit=EDITOR_NAME_LIMIT))
    return text
