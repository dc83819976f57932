"""The Streamlit app: the frame shared by every page (title, navigation). Pages live in ui/pages/."""

import streamlit as st

st.set_page_config(page_title="CNN feature visualization", layout="wide")
pages = [
    st.Page("ui/pages/classify.py", title="Classify", icon=":material/image_search:", default=True),
    st.Page("ui/pages/render.py", title="What a unit wants", icon=":material/auto_awesome:"),
    st.Page("ui/pages/deconv.py", title="Top-9 and deconvnet", icon=":material/grid_view:"),
    st.Page("ui/pages/occlusion.py", title="Occlusion", icon=":material/select:"),
    st.Page("ui/pages/filters.py", title="First-layer filters", icon=":material/filter:"),
    st.Page("ui/pages/atlas.py", title="Layer atlas", icon=":material/apps:"),
]
st.navigation(pages).run()
