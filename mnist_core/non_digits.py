"""Drawings that are no digit, made the way people draw on the canvas: to teach the reader to say so.

Scribbles (random smooth curves, open or closed), zigzags, loop scribbles (a pen going round and
round, or a coil of loops along a line), letters (OpenCV's Hershey fonts: they need no files), shapes
(stars, squares, triangles, crosses, hearts, spirals) and a few random strokes, each drawn at a
random size and place with a brush as people pick them (mnist_core.synthetic's canvases) and
rendered in one of the canvas styles. scripts/calibrate.py chooses the "not a digit" thresholds on
one seed's drawings; the tests and the report judge them on another's.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mnist_core.synthetic import CANVAS, STYLES, anti_alias, natural_brush, render

KINDS = ("scribble", "zigzag", "loops", "letter", "shape", "strokes")
SHAPES = ("star", "square", "triangle", "cross", "heart", "spiral")
# Letters that are no digit's look-alike: O (0), I l i j (1), Z z (2), S s (5), G b (6), T J (7),
# B (8), g q (9) and the like are left out, since reading them as that digit is no mistake.
LETTERS = "ACEFHKMNPRUVWXYacdefhkmnprtuvwxy"
HERSHEY_FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
)

Polyline = np.ndarray  # float (n, 2) points (x, y) in a unit box, y down


@dataclass(frozen=True)
class NonDigit:
    """One canvas that holds no digit: the image as the app or a file would hold it."""

    image: np.ndarray  # uint8 (H, W, 3) or (H, W, 4)
    kind: str
    style: str


def smooth_closed(points: np.ndarray, samples: int = 200) -> Polyline:
    """float (k, 2) control points -> a smooth closed curve through them (periodic Catmull-Rom)."""
    k = len(points)
    t = np.linspace(0, k, samples, endpoint=False)
    index = np.floor(t).astype(int)
    u = (t - index)[:, None]
    p0, p1, p2, p3 = (points[(index + shift) % k] for shift in (-1, 0, 1, 2))
    return 0.5 * (2 * p1 + (p2 - p0) * u + (2 * p0 - 5 * p1 + 4 * p2 - p3) * u**2 + (3 * p1 - p0 - 3 * p2 + p3) * u**3)


def smooth_open(points: np.ndarray, samples: int = 200) -> Polyline:
    """float (k, 2) control points -> a smooth open curve through them, end to end (Catmull-Rom)."""
    padded = np.vstack([2 * points[0] - points[1], points, 2 * points[-1] - points[-2]])
    t = np.linspace(0, len(points) - 1, samples)
    index = np.minimum(np.floor(t).astype(int), len(points) - 2)
    u = (t - index)[:, None]
    p0, p1, p2, p3 = (padded[index + shift] for shift in (0, 1, 2, 3))
    return 0.5 * (2 * p1 + (p2 - p0) * u + (2 * p0 - 5 * p1 + 4 * p2 - p3) * u**2 + (3 * p1 - p0 - 3 * p2 + p3) * u**3)


def scribble(rng: np.random.Generator) -> list[Polyline]:
    """A random smooth curve through 5-12 points, closed or open."""
    points = rng.uniform(0, 1, size=(int(rng.integers(5, 13)), 2))
    return [smooth_closed(points) if rng.random() < 0.5 else smooth_open(points)]


def zigzag(rng: np.random.Generator) -> list[Polyline]:
    """A zigzag of 4-10 teeth, across or down, a little uneven."""
    teeth = int(rng.integers(4, 11))
    along = np.linspace(0, 1, teeth + 1) + rng.uniform(-0.03, 0.03, teeth + 1)
    across = np.where(np.arange(teeth + 1) % 2 == 0, 0.0, 1.0) + rng.uniform(-0.15, 0.15, teeth + 1)
    points = np.stack([along, across], axis=1)
    return [points if rng.random() < 0.7 else points[:, ::-1]]


def loops(rng: np.random.Generator) -> list[Polyline]:
    """A pen going round 2-5 times on about the same spot (the loop scribble read as "0"), or a
    coil of 2-6 loops along a line (a row of "e"s)."""
    turns = int(rng.integers(2, 6)) if rng.random() < 0.5 else int(rng.integers(2, 7))
    t = np.linspace(0, 2 * np.pi * turns, 80 * turns)
    if rng.random() < 0.5:  # round and round, each turn drifting and changing size, as a pen scribbling
        radius = 1 + rng.uniform(0.3, 0.5) * np.sin(t * rng.uniform(0.15, 0.4) + rng.uniform(0, np.pi))
        direction = rng.uniform(0, 2 * np.pi)
        drift = rng.uniform(0.5, 1.0) * np.array([[np.cos(direction)], [np.sin(direction)]]) * t / t[-1]
        x = radius * np.cos(t) * rng.uniform(0.6, 1.0) + drift[0]
        y = radius * np.sin(t) + drift[1]
    else:  # a coil along a line
        x = t / (2 * np.pi) * rng.uniform(0.5, 1.2) + np.cos(t)
        y = np.sin(t) * rng.uniform(0.8, 1.5)
    return [np.stack([x, y], axis=1)]


def star(rng: np.random.Generator) -> list[Polyline]:
    points = int(rng.integers(5, 8))
    angles = -np.pi / 2 + np.arange(2 * points + 1) * np.pi / points
    if rng.random() < 0.5:  # drawn in one line, as a pentagram is
        order = (np.arange(points + 1) * 2 * (points // 2)) % (2 * points)
        angles = -np.pi / 2 + order * np.pi / points
        return [np.stack([np.cos(angles), np.sin(angles)], axis=1)]
    radius = np.where(np.arange(2 * points + 1) % 2 == 0, 1.0, rng.uniform(0.35, 0.55))
    return [np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1)]


def shape(rng: np.random.Generator) -> list[Polyline]:
    """One of SHAPES, a little uneven as a hand draws it."""
    name = SHAPES[int(rng.integers(len(SHAPES)))]
    if name == "star":
        lines = star(rng)
    elif name == "square":
        ratio = rng.uniform(0.7, 1.4)
        lines = [np.array([[0, 0], [ratio, 0], [ratio, 1], [0, 1], [0, 0]], float)]
    elif name == "triangle":
        apex = rng.uniform(0.2, 0.8)
        lines = [np.array([[apex, 0], [1, 1], [0, 1], [apex, 0]], float)]
    elif name == "cross":
        if rng.random() < 0.5:
            lines = [np.array([[0.5, 0], [0.5, 1]]), np.array([[0, 0.5], [1, 0.5]])]  # +
        else:
            lines = [np.array([[0, 0], [1, 1]], float), np.array([[1, 0], [0, 1]], float)]  # x
    elif name == "heart":
        t = np.linspace(0, 2 * np.pi, 200)
        lines = [np.stack([16 * np.sin(t) ** 3, -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))], axis=1)]
    else:  # an Archimedean spiral of 2-4 turns
        t = np.linspace(0, 2 * np.pi * rng.uniform(2, 4), 400)
        lines = [np.stack([t * np.cos(t), t * np.sin(t)], axis=1)]
    jitter = rng.normal(0, 0.02, size=2)
    return [line + jitter * np.arange(len(line))[:, None] / max(len(line), 1) for line in lines]


def random_strokes(rng: np.random.Generator) -> list[Polyline]:
    """2-5 strokes, straight or gently bent, anywhere in the box."""
    lines = []
    for _ in range(int(rng.integers(2, 6))):
        ends = rng.uniform(0, 1, size=(2, 2))
        middle = ends.mean(axis=0) + rng.normal(0, 0.15, 2)
        lines.append(smooth_open(np.vstack([ends[0], middle, ends[1]]), samples=40))
    return lines


def fit_lines(lines: list[Polyline], height: int, width_limit: int) -> list[np.ndarray]:
    """Polylines in any box -> int32 pixel polylines scaled to `height` (narrower than width_limit),
    their box starting at (0, 0)."""
    every = np.vstack(lines)
    low, size = every.min(axis=0), np.maximum(every.max(axis=0) - every.min(axis=0), 1e-6)
    scale = height / size[1] if size[1] / size[0] > 0.2 else width_limit * 0.6 / size[0]
    scale = min(scale, width_limit / size[0])
    return [np.round((line - low) * scale).astype(np.int32) for line in lines]


def line_drawing(lines: list[Polyline], rng: np.random.Generator, widest_brush: float = 1.0) -> np.ndarray:
    """Polylines -> bool (CANVAS, CANVAS) mask: drawn at a random size and place with a natural
    brush, no wider than widest_brush times the height."""
    height = int(rng.integers(50, 271))
    brush = max(2.0, min(natural_brush(height, rng), widest_brush * height))
    margin = int(np.ceil(brush / 2)) + 1
    pixels = fit_lines(lines, height - 2 * margin, CANVAS - 2 * margin)
    extent = np.vstack(pixels).max(axis=0) + 2 * margin
    offset = np.array([rng.integers(0, max(1, CANVAS - extent[0] + 1)), rng.integers(0, max(1, CANVAS - extent[1] + 1))]) + margin
    canvas = np.zeros((CANVAS, CANVAS), np.uint8)
    cv2.polylines(canvas, [p + offset for p in pixels], False, 1, max(1, int(round(brush))), cv2.LINE_8)
    return canvas > 0


def letter_drawing(rng: np.random.Generator) -> np.ndarray:
    """A letter of LETTERS in a Hershey font -> bool (CANVAS, CANVAS) mask, at a random size and
    place, its strokes as wide as a natural brush."""
    font = HERSHEY_FONTS[int(rng.integers(len(HERSHEY_FONTS)))] | (cv2.FONT_ITALIC if rng.random() < 0.3 else 0)
    text = LETTERS[int(rng.integers(len(LETTERS)))]
    height = int(rng.integers(50, 251))
    brush = max(1, int(round(natural_brush(height, rng))))
    # The font's own height at scale 1 gives the scale that draws the letter `height` tall.
    (_, text_height), baseline = cv2.getTextSize(text, font, 1.0, 1)
    scale = height / (text_height + baseline)
    canvas = np.zeros((3 * CANVAS, 3 * CANVAS), np.uint8)
    cv2.putText(canvas, text, (CANVAS // 2, 2 * CANVAS), font, scale, 1, brush, cv2.LINE_8)
    rows, cols = np.flatnonzero(canvas.any(axis=1)), np.flatnonzero(canvas.any(axis=0))
    glyph = canvas[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1][:CANVAS, :CANVAS]
    placed = np.zeros((CANVAS, CANVAS), bool)
    top = int(rng.integers(0, CANVAS - glyph.shape[0] + 1))
    left = int(rng.integers(0, CANVAS - glyph.shape[1] + 1))
    placed[top : top + glyph.shape[0], left : left + glyph.shape[1]] = glyph > 0
    return placed


DRAWERS = {"scribble": scribble, "zigzag": zigzag, "loops": loops, "shape": shape, "strokes": random_strokes}


def make_non_digits(count: int, seed: int, kinds: tuple[str, ...] = KINDS) -> list[NonDigit]:
    """`count` canvases holding no digit, the kinds in turn, reproducible from seed."""
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown kind {sorted(unknown)[0]!r}; choose from {', '.join(KINDS)}")
    rng = np.random.default_rng(seed)
    drawings = []
    for index in range(count):
        kind, style = kinds[index % len(kinds)], STYLES[(index // len(kinds)) % len(STYLES)]
        if kind == "letter":
            mask = letter_drawing(rng)
        else:  # loops drawn with a brush wider than their spacing would merge into one thick ring: a 0
            mask = line_drawing(DRAWERS[kind](rng), rng, widest_brush=0.06 if kind == "loops" else 1.0)
        drawings.append(NonDigit(render(anti_alias(mask), style), kind, style))
    return drawings
