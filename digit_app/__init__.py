"""The app's UI package (Streamlit): its pages, the canvas, the sidebar, the charts.

`app.py` is the entry that `streamlit run app.py` runs; reading digits lives in `mnist_core`.
Workarounds of Streamlit's and the canvas component's behaviour live in `workarounds.py` only.
"""
