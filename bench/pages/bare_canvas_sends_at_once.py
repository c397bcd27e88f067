"""The bare page (bare_canvas.py) with app.py's canvas, which sends each stroke at once.

The like-for-like baseline for app.py: the package's canvas waits 200 ms after a stroke before
sending it, app.py's does not, so against bare_canvas.py the app is measured with that wait taken
off; against this page, only what the app adds (reading the digit, re-rendering its page) counts.

    python bench/latency.py --bare bench/pages/bare_canvas_sends_at_once.py
"""

import runpy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from app import patch_canvas_component  # noqa: E402

patch_canvas_component()  # the last registration of the canvas wins, for the whole server
runpy.run_path(str(Path(__file__).with_name("bare_canvas.py")))
