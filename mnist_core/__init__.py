"""Draw-a-digit library: MNIST data, model presets, the drawing-to-digit pipeline and prediction.

Nothing here imports Streamlit: the app, the scripts and the tests all share this code.
Serving (predictor and the modules it reads with) imports no TensorFlow or Keras, which the
serving install (requirements.txt) leaves out; presets and augment, for training, need them.
"""
