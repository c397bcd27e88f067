"""Drawn-digit test canvases made from MNIST digits: the way people draw them in the app.

Each MNIST digit is enlarged to a random size, its stroke re-drawn thinner or thicker (a
different brush), placed anywhere on a canvas and rendered in one of the canvas styles. Strips
of several digits (spaced, close, touching, of unequal sizes), stray specks and slips of the
pen, extreme brushes, faint ink, blank canvases and single dots come too.
These judge the whole pipeline, not just the model; they never feed training.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

CANVAS = 280
STYLES = ("white_on_black", "black_on_transparent", "black_on_white")
KINDS = ("single", "specks", "extreme_brush", "multi", "blank", "dot", "multi_close", "multi_touching", "faint", "multi_sizes", "strays")
SINGLE_KINDS = ("single", "specks", "extreme_brush", "faint", "strays")  # one digit per canvas
# Gaps between a strip's digits, as shares of its height: as people space them, written close
# together, and touching or overlapping (boxes up to 4% of the height into each other).
STRIP_GAPS = {"multi": (0.08, 0.3), "multi_close": (0.0, 0.08), "multi_touching": (-0.04, 0.02), "multi_sizes": (0.08, 0.3)}
# Each digit of a strip is this share of its height or more: about equal, or some much smaller.
SMALLEST_IN_STRIP = {"multi_sizes": 0.5}
SMALLEST_DEFAULT = 0.85


@dataclass(frozen=True)
class Sample:
    """One test canvas: the image as the app or a file would hold it, and the expected answer."""

    image: np.ndarray  # uint8 (H, W, 3) or (H, W, 4)
    expected: str  # the digits left to right, or "" for nothing drawn
    kind: str
    style: str
    sources: tuple[int, ...] = ()  # the MNIST images drawn, left to right


def disk(radius: float) -> np.ndarray:
    size = 2 * int(np.ceil(radius)) + 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def smooth_enlargement(mnist_digit: np.ndarray, height: int, faintest: int = 40) -> np.ndarray:
    """uint8 (28, 28) MNIST digit -> float32 (height, w), its box (pixels above `faintest`) enlarged by cubic interpolation."""
    rows = np.flatnonzero(mnist_digit.max(axis=1) > faintest)
    cols = np.flatnonzero(mnist_digit.max(axis=0) > faintest)
    crop = mnist_digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].astype(np.float32) / 255
    width = max(1, round(crop.shape[1] * height / crop.shape[0]))
    return cv2.resize(crop, (width, height), interpolation=cv2.INTER_CUBIC)


def enlarge(mnist_digit: np.ndarray, height: int) -> np.ndarray:
    """uint8 (28, 28) MNIST digit -> bool (height, w) mask of its ink, smoothly enlarged."""
    return smooth_enlargement(mnist_digit, height) > 0.45


def rebrush(mask: np.ndarray, brush: float) -> np.ndarray:
    """bool mask of a digit -> the same digit drawn with a brush about `brush` pixels wide."""
    inside = cv2.distanceTransform(np.pad(mask, 1).astype(np.uint8), cv2.DIST_L2, 5)  # padded: edges are background
    current = 2 * float(np.median(inside[(inside > 0) & (inside >= cv2.dilate(inside, np.ones((3, 3))))]))
    if not np.isfinite(current):
        return mask
    offset = (brush - current) / 2
    pad = int(np.ceil(max(offset, 0))) + 2
    padded = cv2.copyMakeBorder(mask.astype(np.uint8), pad, pad, pad, pad, cv2.BORDER_CONSTANT, 0)
    if offset >= 0:
        grown = cv2.distanceTransform(1 - padded, cv2.DIST_L2, 5) <= offset
        return grown | (padded > 0)
    thinned = cv2.distanceTransform(padded, cv2.DIST_L2, 5) > -offset
    # Thinning must not erase a stroke entirely: fall back to the thinnest that keeps every part.
    while -offset > 0.5 and thinned.sum() < 0.15 * padded.sum():
        offset /= 2
        thinned = cv2.distanceTransform(padded, cv2.DIST_L2, 5) > -offset
    return thinned


def stamp(canvas: np.ndarray, mask: np.ndarray, top: int, left: int) -> None:
    """Draw a mask (bool, or float ink) onto a float canvas at (top, left), clipped to the canvas."""
    height, width = mask.shape
    bottom, right = min(canvas.shape[0], top + height), min(canvas.shape[1], left + width)
    top_clip, left_clip = max(0, top), max(0, left)
    region = mask[top_clip - top : bottom - top, left_clip - left : right - left]
    canvas[top_clip:bottom, left_clip:right] = np.maximum(canvas[top_clip:bottom, left_clip:right], region)


def trim(mask: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def drawn_digit(mnist_digit: np.ndarray, height: int, brush: float) -> np.ndarray:
    """uint8 (28, 28) -> bool mask (h, w) of that digit drawn `height` tall with a `brush`-wide pen."""
    return trim(rebrush(enlarge(mnist_digit, height), brush))


def thinned_soft_digit(mnist_digit: np.ndarray, height: int, radius: int) -> np.ndarray:
    """uint8 (28, 28) -> float ink (h, w) in [0, 1]: the digit enlarged smoothly with its gray kept,
    then thinned by a grayscale erosion of up to `radius` pixels (an image editor's "thin"), which
    leaves its lines thin and faint rather than cut; never so far that a tenth of its ink is left."""
    soft = np.clip(smooth_enlargement(mnist_digit, height, faintest=0), 0.0, 1.0)
    for size in range(radius, 0, -1):
        thinned = cv2.erode(soft, disk(size), borderValue=0.0)
        if thinned.sum() >= 0.1 * soft.sum():
            return thinned
    return soft


def natural_brush(height: int, rng: np.random.Generator) -> float:
    """A brush width as people pick them: 5-22% of the digit's height, at least 2 px."""
    return max(2.0, height * rng.uniform(0.05, 0.22))


def render(ink: np.ndarray, style: str) -> np.ndarray:
    """float (H, W) ink in [0, 1] -> uint8 image in a canvas style (RGB, or RGBA for transparent)."""
    level = np.clip(ink * 255, 0, 255).astype(np.uint8)
    if style == "white_on_black":
        return np.repeat(level[..., None], 3, axis=2)
    if style == "black_on_white":
        return np.repeat((255 - level)[..., None], 3, axis=2)
    if style == "black_on_transparent":
        rgba = np.zeros((*ink.shape, 4), np.uint8)
        rgba[..., 3] = level
        return rgba
    raise ValueError(f"unknown style {style!r}; choose one of {', '.join(STYLES)}")


def anti_alias(mask: np.ndarray) -> np.ndarray:
    """bool mask -> float ink with soft edges, as a browser canvas draws them."""
    return cv2.GaussianBlur(mask.astype(np.float32), (3, 3), 0.7)


def add_specks(canvas: np.ndarray, keep_clear: tuple[int, int, int, int], rng: np.random.Generator) -> None:
    """Sprinkle 1-6 small dots onto canvas, away from the (top, left, bottom, right) region."""
    top, left, bottom, right = keep_clear
    for _ in range(rng.integers(1, 7)):
        for _attempt in range(50):
            y, x = rng.integers(0, canvas.shape[0]), rng.integers(0, canvas.shape[1])
            if not (top - 15 <= y <= bottom + 15 and left - 15 <= x <= right + 15):
                cv2.circle(canvas, (int(x), int(y)), int(rng.integers(1, 5)), 1.0, -1)
                break


def add_stray_marks(canvas: np.ndarray, keep_clear: tuple[int, int, int, int], rng: np.random.Generator) -> None:
    """Draw 1-4 stray marks onto canvas, away from the (top, left, bottom, right) region: short
    dashes (4-14 px long, 1-3 px thick) or larger dots (4-8 px radius), as a slip of the pen leaves."""
    top, left, bottom, right = keep_clear
    for _ in range(rng.integers(1, 5)):
        for _attempt in range(50):
            y, x = int(rng.integers(0, canvas.shape[0])), int(rng.integers(0, canvas.shape[1]))
            if top - 15 <= y <= bottom + 15 and left - 15 <= x <= right + 15:
                continue
            if rng.random() < 0.7:
                angle, length = rng.uniform(0, np.pi), rng.uniform(4, 14)
                end = (int(x + length * np.cos(angle)), int(y + length * np.sin(angle)))
                cv2.line(canvas, (x, y), end, 1.0, int(rng.integers(1, 4)))
            else:
                cv2.circle(canvas, (x, y), int(rng.integers(4, 9)), 1.0, -1)
            break


def fit_inside(ink: np.ndarray) -> np.ndarray:
    """bool or float (h, w) digit -> the same, shrunk to fit the canvas when a thick brush or a wide
    digit grew it past it (people keep a digit inside)."""
    if max(ink.shape) <= CANVAS - 4:
        return ink
    scale = (CANVAS - 4) / max(ink.shape)
    size = (max(1, int(ink.shape[1] * scale)), max(1, int(ink.shape[0] * scale)))
    if ink.dtype == bool:
        return cv2.resize(ink.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    return cv2.resize(ink, size, interpolation=cv2.INTER_AREA)


def single_canvas(digit: np.ndarray, rng: np.random.Generator, kind: str) -> np.ndarray:
    """A 280x280 float ink canvas with one drawn digit (with specks, slips of the pen, an extreme
    brush or faint ink, by kind)."""
    height = int(rng.integers(50, 271))
    if kind == "faint":
        return faint_canvas(digit, height, rng)
    if kind == "extreme_brush":
        brush = rng.choice([rng.uniform(1.0, 2.0), height * rng.uniform(0.25, 0.32)])
    else:
        brush = natural_brush(height, rng)
    mask = fit_inside(drawn_digit(digit, height, brush))
    top = int(rng.integers(0, CANVAS - mask.shape[0] + 1))
    left = int(rng.integers(0, CANVAS - mask.shape[1] + 1))
    canvas = np.zeros((CANVAS, CANVAS), np.float32)
    stamp(canvas, mask, top, left)
    if kind == "specks":
        add_specks(canvas, (top, left, top + mask.shape[0], left + mask.shape[1]), rng)
    if kind == "strays":
        add_stray_marks(canvas, (top, left, top + mask.shape[0], left + mask.shape[1]), rng)
    return anti_alias(canvas > 0)


def faint_canvas(digit: np.ndarray, height: int, rng: np.random.Generator) -> np.ndarray:
    """A 280x280 float ink canvas with one digit whose ink is faint: half of them thinned soft digits
    (thinned_soft_digit, by 2-8% of the height: lines gray where they are thinner than the
    erosion), half drawn with a light pen (ink at 15-50% strength)."""
    if rng.random() < 0.5:
        ink = thinned_soft_digit(digit, height, max(1, int(height * rng.uniform(0.02, 0.08))))
    else:
        ink = anti_alias(drawn_digit(digit, height, natural_brush(height, rng))) * rng.uniform(0.15, 0.5)
    ink = fit_inside(ink)
    canvas = np.zeros((CANVAS, CANVAS), np.float32)
    stamp(canvas, ink, int(rng.integers(0, CANVAS - ink.shape[0] + 1)), int(rng.integers(0, CANVAS - ink.shape[1] + 1)))
    return canvas


def strip_canvas(digits: list[np.ndarray], rng: np.random.Generator,
                 gap_range: tuple[float, float] = STRIP_GAPS["multi"], smallest: float = SMALLEST_DEFAULT) -> np.ndarray:
    """A float ink canvas, 280 tall, with several drawn digits side by side, as in "2024", spaced
    by gaps drawn from gap_range (shares of the strip's height; negative: overlapping), each
    digit `smallest` of the strip's height or taller, standing on one line."""
    height = int(rng.integers(80, 201))
    brush = natural_brush(height, rng)
    masks = [drawn_digit(d, int(height * rng.uniform(smallest, 1.0)), brush) for d in digits]
    low, high = gap_range
    gaps = [int(rng.integers(int(low * height), int(high * height))) for _ in masks[1:]]
    width = sum(m.shape[1] for m in masks) + sum(gaps) + 40
    canvas = np.zeros((CANVAS, max(CANVAS, width)), np.float32)
    left = int(rng.integers(10, canvas.shape[1] - width + 31))
    baseline = int(rng.integers(height + 10, CANVAS - 5))
    for index, mask in enumerate(masks):
        stamp(canvas, mask, baseline - mask.shape[0] + int(rng.integers(-8, 9)), left)
        left += mask.shape[1] + (gaps[index] if index < len(gaps) else 0)
    return anti_alias(canvas > 0)


def dot_canvas(rng: np.random.Generator) -> np.ndarray:
    """A canvas holding one dot, a tap of a brush of any size."""
    canvas = np.zeros((CANVAS, CANVAS), np.float32)
    radius = int(rng.integers(1, 26))
    center = (int(rng.integers(radius, CANVAS - radius)), int(rng.integers(radius, CANVAS - radius)))
    cv2.circle(canvas, center, radius, 1.0, -1)
    return anti_alias(canvas > 0)


def make_samples(images: np.ndarray, labels: np.ndarray, count: int, kind: str, seed: int) -> list[Sample]:
    """`count` test canvases of one kind, from MNIST images and labels, reproducible from seed."""
    rng = np.random.default_rng(seed)
    samples = []
    for index in range(count):
        style = STYLES[index % len(STYLES)]
        picks: tuple[int, ...] = ()
        if kind in SINGLE_KINDS:
            picks = (int(rng.integers(len(images))),)
            ink = single_canvas(images[picks[0]], rng, kind)
        elif kind in STRIP_GAPS:
            picks = tuple(int(p) for p in rng.integers(len(images), size=int(rng.integers(2, 5))))
            ink = strip_canvas([images[p] for p in picks], rng, STRIP_GAPS[kind], SMALLEST_IN_STRIP.get(kind, SMALLEST_DEFAULT))
        elif kind == "blank":
            ink = np.zeros((CANVAS, CANVAS), np.float32)
        elif kind == "dot":
            ink = dot_canvas(rng)
        else:
            raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
        expected = "".join(str(labels[p]) for p in picks)
        samples.append(Sample(render(ink, style), expected, kind, style, picks))
    return samples
