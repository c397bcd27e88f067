"""The bare page (bare_canvas.py) with the app's canvas fix: the toolbar under the canvas, and
each stroke sent at once (digit_app/workarounds.py, the one copy of the fix).

The like-for-like baseline for app.py: the package's canvas waits 200 ms after a stroke before
sending it, the app's does not, so against bare_canvas.py the app is measured with that wait taken
off; against this page, only what the app adds (reading the digit, re-rendering its page) counts.
tests/test_browser_smoke.py checks on it that every stroke reaches the server, one begun under the
package's toolbar included.

    python bench/latency.py --bare bench/pages/fixed_canvas.py
"""

import runpy
from pathlib import Path

from digit_app.workarounds import fix_canvas_component

fix_canvas_component()  # the last registration of the canvas wins, for the whole server
runpy.run_path(str(Path(__file__).with_name("bare_canvas.py")))
