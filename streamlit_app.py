"""gridmap — the Streamlit app. Run: ``streamlit run streamlit_app.py``.

This file only routes pages and draws the shared sidebar; all logic lives in `gridmap`.
"""

from __future__ import annotations

import streamlit as st

from app_pages._access import gate
from app_pages._common import sidebar, tr

st.set_page_config(page_title="gridmap 网格地图", page_icon="🗺️", layout="wide")
# -- accounts (gridmap.access) --------------------------------------------------------------
# With accounts in the workspace, only the sign-in page runs until someone has signed in;
# then `navigation` is st.navigation over the pages the account's role may open. No
# accounts (the laptop mode): st.navigation over every page, as before.
navigation = gate()
# -------------------------------------------------------------------------------------------
# Navigation comes first, so the sidebar's language callback has switched the page titles
# before they are drawn. (The pages live in app_pages/, not pages/: Streamlit treats a
# pages/ folder as an old-style multipage app until st.navigation first runs, so on a fresh
# server a deep link ran a page without this script, and the first click was lost.)
page = navigation(
    [
        st.Page(
            "app_pages/overview.py", title=tr("page_overview"), icon=":material/map:", default=True
        ),
        st.Page("app_pages/heatmaps.py", title=tr("page_heatmaps"), icon=":material/whatshot:"),
        st.Page(
            "app_pages/warnings_report.py", title=tr("page_warnings"), icon=":material/warning:"
        ),
        st.Page("app_pages/coverage.py", title=tr("page_coverage"), icon=":material/local_police:"),
        st.Page(
            "app_pages/patrol_routes.py", title=tr("page_patrol_routes"), icon=":material/route:"
        ),
        st.Page("app_pages/grids.py", title=tr("page_grids"), icon=":material/grid_on:"),
        st.Page("app_pages/data.py", title=tr("page_data"), icon=":material/folder_open:"),
        st.Page("app_pages/accounts.py", title=tr("page_accounts"), icon=":material/group:"),
    ]
)
sidebar()
page.run()
