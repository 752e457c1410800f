"""The sign-in gate and the account box in the sidebar (UI glue for gridmap.access).

With no accounts in the workspace nothing here shows: the laptop mode. Otherwise only the
sign-in page runs until someone signs in (by password, or by the name the intranet's
reverse proxy sets in ``$GRIDMAP_TRUSTED_USER_HEADER``), and the navigation lists only
the pages the account's role may open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from app_pages._common import _store, _workspace_choices, md, say, signed_in, tr
from gridmap.access import (
    AccessStorage,
    Rights,
    Session,
    SignInError,
    access_storage,
    accounts_configured,
    get_account,
    session_from_header,
    sign_in,
)
from gridmap.i18n import TEXT
from gridmap.store import open_workspace


def client_address() -> str:
    """The browser's address as the server sees it (a proxy's, behind one)."""
    return str(st.context.ip_address or "localhost")


def storage() -> AccessStorage:
    """Accounts and audit storage of the session's workspace."""
    # Only a workspace the picker lists is opened (opening creates a missing file): a
    # location set in the session otherwise falls back to the default, as in the picker.
    if st.session_state.get("workspace") not in _workspace_choices():
        st.session_state["workspace"] = str(open_workspace().location)
    return access_storage(_store(st.session_state["workspace"]))


def begin(session: Session) -> None:
    """Start `session` in this browser session (after a successful sign-in)."""
    st.session_state["access_session"] = session
    st.session_state["access_workspace"] = st.session_state["workspace"]


def sign_out() -> None:
    """Forget the signed-in account (the next run shows the sign-in page)."""
    for key in ("access_session", "access_workspace", "access_store"):
        st.session_state.pop(key, None)
    st.session_state["access_signed_out"] = True


def try_sign_in(user: str, password: str) -> None:
    """Check the typed name and password; on success the session begins, else a message."""
    try:
        begin(sign_in(storage(), user, password, client=client_address()))
    except SignInError as exc:
        st.session_state["access_error"] = exc
    else:
        st.session_state.pop("access_error", None)
        st.session_state.pop("access_signed_out", None)


def gate() -> Callable[[list[StreamlitPage]], StreamlitPage]:
    """Decide whether this run shows the app or only the sign-in page.

    Returns
    -------
    callable
        :func:`navigation` (``st.navigation`` over the pages the signed-in account may
        open; every page in the laptop mode), or, with accounts and nobody signed in,
        :func:`sign_in_navigation`, which offers the sign-in page whatever it is given.
        The run is not stopped (``st.stop()`` skips Streamlit's clean-up of widgets not
        drawn, and the language switch then kept a stale value).
    """
    st.session_state["access_gate_closed"] = False
    accounts = storage()
    if not accounts_configured(accounts):
        sign_out()
        st.session_state.pop("access_signed_out", None)
        return navigation
    session = _current(accounts, signed_in())
    if (
        session is not None
        and st.session_state.get("access_workspace") == (st.session_state["workspace"])
    ):
        return navigation
    if session is not None:  # an account belongs to the workspace it signed in to
        sign_out()
    if not st.session_state.get("access_signed_out"):
        try:
            from_proxy = session_from_header(accounts, st.context.headers, client=client_address())
        except SignInError as exc:
            st.session_state["access_error"] = exc
        else:
            if from_proxy is not None:
                begin(from_proxy)
                return navigation
    st.session_state["access_gate_closed"] = True  # the sidebar shows only the language
    return sign_in_navigation


def _current(accounts: AccessStorage, session: Session | None) -> Session | None:
    """`session` as its account now is: an account disabled or removed meanwhile ends it
    at the next run, a changed role or scope applies at once."""
    if session is None:
        return None
    account = get_account(accounts, session.user)
    if account is None or account.disabled:
        sign_out()
        st.session_state.pop("access_signed_out", None)
        return None
    if (account.role, account.scope, account.display_name) != (
        session.role,
        session.scope,
        session.display_name,
    ):
        session = replace(
            session, role=account.role, scope=account.scope, display_name=account.display_name
        )
        begin(session)
    return session


def sign_in_navigation(pages: list[StreamlitPage]) -> StreamlitPage:
    """``st.navigation`` over the sign-in page alone (`pages` are not offered)."""
    del pages
    return st.navigation(
        [st.Page("app_pages/sign_in.py", title=tr("page_sign_in"), icon=":material/login:")]
    )


def gate_closed() -> bool:
    """Whether this run shows only the sign-in page."""
    return bool(st.session_state.get("access_gate_closed"))


def navigation(pages: list[StreamlitPage]) -> StreamlitPage:
    """``st.navigation`` over the `pages` the signed-in account may open.

    The registered pages (URL path and title) are kept in the session for
    :func:`navigation_titles`: the Accounts page's rights table lists what the navigation
    shows, from the same list and the same rule (:func:`shows`).
    """
    st.session_state["access_registered_pages"] = [(p.url_path, p.title) for p in pages]
    return st.navigation(visible(pages))


def shows(url_path: str, rights: Rights) -> bool:
    """Whether a role with `rights` sees the page at `url_path` in its navigation.

    The default page (the Overview, open to every role) has no URL path.
    """
    return not url_path or url_path in rights.pages


def navigation_titles(rights: Rights) -> list[str]:
    """Titles, in the chosen language, of the pages a role with `rights` sees in the
    navigation, in its order."""
    # A title is found again by its text in either language: the list may have been kept
    # by a run in the other language.
    keys = {text: key for key, pair in TEXT.items() if key.startswith("page_") for text in pair}
    return [
        tr(keys[title]) if title in keys else title
        for url_path, title in st.session_state.get("access_registered_pages", [])
        if shows(url_path, rights)
    ]


def visible(pages: list[StreamlitPage]) -> list[StreamlitPage]:
    """The pages the signed-in role may open (all of them in the laptop mode).

    Pages are known by their URL path, their file's name; the default page (the
    Overview, open to every role) has none.
    """
    session = signed_in()
    if session is None:
        return pages
    shown = [p for p in pages if shows(p.url_path, session.rights)]
    with st.sidebar:
        st.caption(
            tr("access_signed_in_as")
            + " "
            + md(session.display_name or session.user)
            + f" · {tr('access_role_' + session.role)}"
            + (f" · {md(session.scope.prefix)}" if session.scope.prefix else "")
        )
        if st.button(tr("access_sign_out"), key="access_sign_out"):
            sign_out()
            st.rerun()
    return shown


def error() -> str | None:
    """The last sign-in error as Markdown, if any."""
    exc = st.session_state.get("access_error")
    return None if exc is None else say(exc)
