"""Smoothing a training curve: a bias-corrected exponential moving average, as TensorBoard's, or a
plain moving average, trailing or centred. Each takes float (N,) values in order and returns float64 (N,).

TensorBoard's exponential average starts from 0 and divides by 1 - weight**n (Adam's debiasing), so
the first smoothed point is the first value, not pulled toward 0 or held at it; it still lags behind
the raw curve by about weight / (1 - weight) points. A centred moving average does not lag (a point
is the mean of the window around it) but uses points after it; a trailing one uses only the past.
Non-finite values (a diverged run's NaN) stay as they are and are left out of every average.
"""

from __future__ import annotations

import numpy as np

METHODS = ("none", "ema", "trailing", "centred")


def debiased_ema(values: np.ndarray, weight: float) -> np.ndarray:
    """Bias-corrected exponential moving average with this weight in [0, 1) (0: the raw values)."""
    if not 0 <= weight < 1:
        raise ValueError(f"the smoothing weight must be in [0, 1), not {weight}")
    values = np.asarray(values, dtype=np.float64)
    smoothed = values.copy()
    last, count = 0.0, 0
    for index, value in enumerate(values):
        if np.isfinite(value):
            last = last * weight + (1 - weight) * value
            count += 1
            smoothed[index] = last / (1 - weight**count)
    return smoothed


def moving_average(values: np.ndarray, window: int, centred: bool) -> np.ndarray:
    """Mean of `window` points: the point and the window - 1 before it (trailing), or the point and
    window // 2 either side (centred, window odd). Near the ends the window holds what there is:
    the first trailing point is the first value, a centred one near an end averages fewer points."""
    if window < 1 or (centred and window % 2 == 0):
        raise ValueError(f"a {'centred ' if centred else ''}moving average needs a{'n odd' if centred else ''} "
                         f"window of at least 1 point, not {window}")
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    sums = np.concatenate([[0.0], np.cumsum(np.where(finite, values, 0.0))])
    counts = np.concatenate([[0], np.cumsum(finite)])
    index = np.arange(len(values))
    after = window // 2 if centred else 0
    low = np.maximum(0, index + after - window + 1)
    high = np.minimum(len(values), index + after + 1)
    smoothed = (sums[high] - sums[low]) / np.maximum(counts[high] - counts[low], 1)
    return np.where(finite, smoothed, values)


def smooth(values: np.ndarray, method: str, strength: float) -> np.ndarray:
    """values smoothed by METHODS' method: strength is the EMA's weight, or a moving average's window."""
    if method == "none":
        return np.asarray(values, dtype=np.float64)
    if method == "ema":
        return debiased_ema(values, strength)
    if method in ("trailing", "centred"):
        return moving_average(values, int(strength), centred=method == "centred")
    raise ValueError(f"unknown smoothing {method!r}; choose one of {', '.join(METHODS)}")
