"""Spot a drawing a brush too wide for it has turned into blobs: a small digit drawn with a fat
brush fills its own loops and reads as a dot or as nothing; the app can then suggest a thinner brush."""

from __future__ import annotations

import cv2
import numpy as np

from mnist_core.segment import find_components

FAT_SHARE = 0.6  # a blob at least this thick (twice its deepest point's distance to its edge) for its length ...
LARGE_SHARE = 0.1  # ... and at least this share of the canvas's longer side (smaller: a speck, a light tap) ...
DISK_FILL = 0.95  # ... and not a clean disk (a tap of the brush fills this share of its circle or more)


def too_fat_for_its_brush(ink: np.ndarray) -> bool:
    """float32 (H, W) ink -> whether some blob of it is strokes a wide brush merged into one lump."""
    labels, components = find_components(ink)
    for component in components:
        longest = component.longest_side
        if longest < LARGE_SHARE * max(ink.shape) or component.area >= DISK_FILL * np.pi * (longest / 2) ** 2:
            continue
        box = component.box
        blob = labels[box.top : box.bottom, box.left : box.right] == component.label
        depth = cv2.distanceTransform(np.pad(blob, 1).astype(np.uint8), cv2.DIST_L2, 3).max()
        if 2 * float(depth) >= FAT_SHARE * longest:
            return True
    return False
