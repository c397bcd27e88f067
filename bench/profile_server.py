"""Where a server's CPU goes, function by function, under whatever load is sent to it.

    pip install yappi                                   # not a requirement of the app or the tests
    python bench/profile_server.py --port 8802 &        # app.py, as `streamlit run app.py` serves it
    python bench/loadtest.py --url http://127.0.0.1:8802 --users 20 --duration 30 --interval 1
    kill %1                                             # writes the profile, prints the top functions

Runs Streamlit in this process under yappi with its CPU clock, every thread profiled (a visitor's
page runs in a thread of its own, the websocket in the event loop's): unlike a sampling profiler,
it counts CPU time, not time a thread spent waiting for the interpreter lock or a core. The
profiler roughly doubles the cost of Python code and not that of NumPy or OpenCV: read the shares
of Python code as upper bounds. The profile is a pstats file (`python -m pstats FILE`).
"""

from __future__ import annotations

import argparse
import atexit
import os
import pstats
import sys

from mnist_core.config import PROJECT_ROOT


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--script", default="app.py", help="Streamlit page to serve, relative to the project root")
    parser.add_argument("--port", type=int, default=8802)
    parser.add_argument("--out", default="server.pstat", help="pstats file written when the server stops")
    parser.add_argument("--top", type=int, default=60, help="functions printed, by cumulative CPU")
    args = parser.parse_args(argv)
    try:
        import yappi
    except ImportError:
        sys.exit("profile_server.py needs yappi: pip install yappi")
    out = os.path.abspath(args.out)

    def write_profile() -> None:
        yappi.stop()
        yappi.get_func_stats().save(out, type="pstat")
        pstats.Stats(out).sort_stats("cumulative").print_stats(args.top)
        print(f"profile written to {out}")

    os.chdir(PROJECT_ROOT)  # .streamlit/config.toml applies, as for `streamlit run app.py`
    yappi.set_clock_type("cpu")
    yappi.start(builtins=True)
    atexit.register(write_profile)
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", args.script, "--server.port", str(args.port)]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
