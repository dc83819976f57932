"""The Streamlit app's frame: the sidebar (model, weights, quality; bound to the URL) and the navigation.

Pages live in ui/pages/ and are grouped in sections; another section is one more entry in SECTIONS.
"""

import streamlit as st

from ui.connections import send_at_once
from ui.frame import draw_sidebar

send_at_once()  # before the page's pictures are requested: no picture waits for a delayed ACK

st.set_page_config(page_title="CNN feature visualization", layout="wide")
SECTIONS = {
    "Explore": [
        st.Page("ui/pages/layers.py", title="Layers", icon=":material/stacks:", url_path="layers", default=True),
        st.Page("ui/pages/unit.py", title="Unit", icon=":material/center_focus_strong:", url_path="unit"),
        st.Page("ui/pages/image.py", title="Image", icon=":material/image_search:", url_path="image"),
        st.Page("ui/pages/render.py", title="What a unit wants", icon=":material/auto_awesome:", url_path="render"),
        st.Page("ui/pages/atlas.py", title="Layer atlas", icon=":material/apps:", url_path="atlas"),
        st.Page("ui/pages/tour.py", title="Guided tour", icon=":material/school:", url_path="tour"),
    ],
    "Zeiler–Fergus": [
        st.Page("ui/pages/deconv.py", title="Top-9 and deconvnet", icon=":material/grid_view:", url_path="deconv"),
        st.Page("ui/pages/occlusion.py", title="Occlusion", icon=":material/select:", url_path="occlusion"),
        st.Page("ui/pages/invariance.py", title="Invariance", icon=":material/rotate_right:", url_path="invariance"),
        st.Page("ui/pages/filters.py", title="First-layer filters", icon=":material/filter:", url_path="filters"),
    ],
    "Optimization": [
        st.Page("ui/pages/optim_interpolate.py", title="Loss along a line", icon=":material/show_chart:",
                url_path="loss-line"),
        st.Page("ui/pages/optim_batchnorm.py", title="Batch normalization", icon=":material/bar_chart:",
                url_path="batchnorm"),
        st.Page("ui/pages/optim_net2net.py", title="Net2Net", icon=":material/account_tree:", url_path="net2net"),
        st.Page("ui/pages/optim_evolution.py", title="Features while training", icon=":material/timeline:",
                url_path="evolution"),
    ],
}
navigation = st.navigation(SECTIONS)
draw_sidebar()
navigation.run()
