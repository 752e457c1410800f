"""gridmap — the Streamlit app. Run: ``streamlit run streamlit_app.py``.

This file only routes pages and draws the shared sidebar; all logic lives in `gridmap`.
"""

from __future__ import annotations

import streamlit as st

from pages._common import sidebar, tr

st.set_page_config(page_title="gridmap 网格地图", page_icon="🗺️", layout="wide")
# Navigation comes before any widget: a widget's identity includes the page, and sidebar
# widgets drawn before the first st.navigation call of a fresh server got an identity that
# changed on the next run, so the very first click of the first user was lost.
page = st.navigation(
    [
        st.Page(
            "pages/overview.py", title=tr("page_overview"), icon=":material/map:", default=True
        ),
        st.Page("pages/data.py", title=tr("page_data"), icon=":material/folder_open:"),
    ]
)
sidebar()
page.run()
