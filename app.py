"""Draw a digit, watch a neural network read it.

    streamlit run app.py

The page's outline only: its parts live in the digit_app package, reading digits in mnist_core,
and models are trained by scripts/train.py.
"""

import streamlit as st

from digit_app.draw_page import draw_page
from digit_app.style import page_style_ui
from digit_app.training_page import training_page_entry
from digit_app.wall_page import wall_page
from digit_app.workarounds import apply_workarounds


def main() -> None:
    st.set_page_config(page_title="Draw a digit", page_icon="✏️", layout="wide")
    apply_workarounds()
    page_style_ui()
    pages = [
        st.Page(draw_page, title="Draw", icon=":material/draw:", url_path="draw", default=True),
        training_page_entry(),
        st.Page(wall_page, title="Wall", icon=":material/co_present:", url_path="wall"),
    ]
    st.navigation(pages).run()


if __name__ == "__main__":
    main()
