"""One summary of timings for every bench tool: median, 95th percentile, worst and mean, in ms."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def summary_ms(seconds: Sequence[float]) -> dict[str, float | int | None]:
    """Timings in seconds -> {"p50_ms", "p95_ms", "max_ms", "mean_ms", "count"}.

    Percentiles interpolate linearly between the two nearest timings (NumPy's default). Values
    are rounded to 0.01 ms, finer than any timer here resolves; with no timings they are None.
    """
    if len(seconds) == 0:
        return {"p50_ms": None, "p95_ms": None, "max_ms": None, "mean_ms": None, "count": 0}
    milliseconds = np.asarray(seconds, dtype=np.float64) * 1000
    p50, p95 = np.percentile(milliseconds, [50, 95])
    return {
        "p50_ms": round(float(p50), 2),
        "p95_ms": round(float(p95), 2),
        "max_ms": round(float(milliseconds.max()), 2),
        "mean_ms": round(float(milliseconds.mean()), 2),
        "count": len(milliseconds),
    }
