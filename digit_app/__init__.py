"""The app's UI package (Streamlit): its pages, the canvas, the sidebar, the charts.

`app.py` is the entry that `streamlit run app.py` runs; reading digits lives in `mnist_core`.
Workarounds of Streamlit's and the canvas component's behaviour live in `workarounds.py` only.
"""

import os

# One thread per matrix product in NumPy's OpenBLAS, set before the app's modules import NumPy
# (`streamlit run` itself does not). The server already runs one script thread per visitor, and
# serve.py one replica per core: OpenBLAS's own extra thread per product then only waits, spinning,
# for a core. Reading a drawing took ~40 ms of CPU with it on a busy 2-core machine, ~3 ms without
# (docs/deployment.md). A value set in the environment wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
