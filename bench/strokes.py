"""Digits as people draw them with a mouse: one table of strokes for the tests and the bench tools.

Each digit is a list of strokes, each stroke a polyline in a 100x100 box (x right, y down), in the
order a person draws them: the 4 and the 7 (crossed) take two strokes, the 8 two loops, the rest
one stroke. The tests draw them on canvases of their own (tests/conftest.py, real browsers); the
load test sends them as the canvas would; bench/latency.py times its one-stroke digits.
Test and measurement data, not the app's: hence here, not in mnist_core.
"""

from __future__ import annotations

import math

Stroke = list[tuple[float, float]]

# Of the box, how much of the canvas's height a drawn digit takes, centred: about what people draw.
CANVAS_FRACTION = 5 / 8


def _arc(
    center_x: float,
    center_y: float,
    radius_x: float,
    radius_y: float,
    start_degrees: float,
    end_degrees: float,
    points: int,
) -> Stroke:
    """Points along an ellipse arc (y grows downwards, so angles go clockwise)."""
    return [
        (
            center_x + radius_x * math.cos(math.radians(angle)),
            center_y + radius_y * math.sin(math.radians(angle)),
        )
        for angle in (start_degrees + (end_degrees - start_degrees) * i / (points - 1) for i in range(points))
    ]


DIGIT_STROKES: dict[str, list[Stroke]] = {
    "0": [_arc(50, 50, 28, 42, -90, 270, 40)],
    "1": [[(47, 16), (55, 8), (55, 92)]],
    "2": [_arc(50, 27, 28, 27, 200, 380, 16) + [(20, 100), (82, 100)]],
    "3": [_arc(47, 25, 28, 25, -160, 90, 18) + _arc(47, 74, 31, 26, -90, 160, 18)],
    "4": [[(55, 8), (22, 65), (80, 65)], [(62, 35), (62, 95)]],
    "5": [[(78, 0), (31, 0), (26, 45)] + _arc(49, 70, 29, 30, -135, 150, 18)],
    "6": [[(67, 0), (42, 30), (25, 68)] + _arc(50, 73, 25, 27, 180, 540, 24)],
    "7": [[(20, 10), (80, 10), (40, 92)], [(35, 50), (70, 50)]],
    "8": [_arc(50, 25, 22, 25, 90, 450, 24), _arc(50, 74, 28, 26, -90, 270, 24)],
    "9": [_arc(50, 30, 27, 30, 0, 360, 24) + [(77, 30), (69, 100)]],
}


def on_canvas(strokes: list[Stroke], canvas_pixels: int) -> list[Stroke]:
    """Strokes in the 100x100 box -> canvas pixels: the box CANVAS_FRACTION of the canvas, centred."""
    size = canvas_pixels * CANVAS_FRACTION
    corner = (canvas_pixels - size) / 2
    return [[(corner + x * size / 100, corner + y * size / 100) for x, y in stroke] for stroke in strokes]
