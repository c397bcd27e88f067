"""Draw-a-digit library: MNIST data, model presets, the drawing-to-digit pipeline and prediction.

Nothing here imports Streamlit: the app, the scripts and the tests all share this code.
"""
