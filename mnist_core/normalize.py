"""From any picture of a digit to the 28x28 image MNIST would have made of it.

MNIST's recipe: the ink's bounding box scaled to fit 20x20 keeping its aspect ratio,
anti-aliased, then placed in 28x28 so that its centre of mass sits at the centre. We add one
step MNIST did not need: bringing the stroke width near MNIST's pen, so that hairline and
very thick brushes both look like the digits the model learned from.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mnist_core.config import DIGIT_BOX, IMAGE_SIZE

MAX_SIDE = 1024  # larger inputs are first shrunk: bounded time, no loss for a drawing
MIN_CONTRAST = 0.12  # ink this faint against the background is noise, not a drawing
INK_THRESHOLD = 0.35  # on the 0-1 ink scale: what counts as ink for boxes and components
FAINT_CORE = 0.8  # strokes whose cores are fainter than this are brightened to full strength ...
FAINT_GAIN_LIMIT = 5.0  # ... by at most this factor (a core at 0.2 becomes full ink, fainter stays faint)
MNIST_STROKE_RATIO = 2.5 / DIGIT_BOX  # MNIST's median stroke is ~2.5 px in its 20 px box
STROKE_TOLERANCE = 1.3  # strokes within this factor of MNIST's are left alone
THINNING_ATTEMPTS = 4  # halvings of a thinning that would break a stroke apart
MNIST_CENTRE = 14.0  # measured: MNIST's mean centre of mass is (14.0, 14.0) in pixel indices


def to_float_image(image: np.ndarray) -> np.ndarray:
    """Any numeric array (H, W), (H, W, 1|2|3|4) -> float32 (H, W, C) in [0, 1]; ValueError if unusable."""
    array = np.asarray(image)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ValueError(f"image must be a numeric array, got dtype {array.dtype}")
    if np.iscomplexobj(array):
        raise ValueError("image must hold real numbers, not complex ones")
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[2] not in (1, 2, 3, 4):
        raise ValueError(
            f"image must be (height, width) or (height, width, 1-4 channels), got shape {array.shape}"
        )
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError(f"image is empty (shape {array.shape})")
    if array.dtype == bool:
        return array.astype(np.float32)
    if np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise ValueError("image contains NaN or infinite values")
        # Scaled and clipped in the input's own precision: a float64 beyond float32's range stays finite.
        return np.clip(array / 255.0 if array.max() > 1.0 else array, 0.0, 1.0).astype(np.float32)
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    # Other integer types: 16-bit images use their full range, anything else is taken as 0-255.
    scale = 65535.0 if array.dtype == np.uint16 else 255.0
    return np.clip(array.astype(np.float32) / scale, 0.0, 1.0)


def shrink_if_huge(image: np.ndarray) -> np.ndarray:
    """uint8, uint16 or float32 (H, W, C) -> the same, area-downscaled so the longer side is at most MAX_SIDE."""
    longest = max(image.shape[:2])
    if longest <= MAX_SIDE:
        return image
    scale = MAX_SIDE / longest
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    shrunk = cv2.resize(np.ascontiguousarray(image), size, interpolation=cv2.INTER_AREA)
    return shrunk.reshape(size[1], size[0], image.shape[2])


def shrink_before_float(image: np.ndarray) -> np.ndarray:
    """uint8 or uint16 (H, W) or (H, W, C) -> the same type, (H', W', C) with H', W' <= MAX_SIDE;
    any other array unchanged.

    to_float_image scales these by a fixed factor, so averaging first gives the same picture
    (to within rounding) without a full-size float copy: four times the image's bytes, twice
    that while converting (380 MB for a 12-megapixel RGBA array).
    """
    array = np.asarray(image)
    if array.dtype not in (np.uint8, np.uint16) or array.ndim not in (2, 3) or array.size == 0:
        return array
    return shrink_if_huge(array if array.ndim == 3 else array[..., None])


def background_level(plane: np.ndarray) -> float:
    """float (H, W) -> the background's level: the median of the image's outer edge.

    The edge, not the whole image, so that a huge thick digit covering most of the canvas is
    still ink; the whole image's median only when the edge is mostly covered as well.
    """
    edge = np.concatenate([plane[0], plane[-1], plane[:, 0], plane[:, -1]])
    level = float(np.median(edge))
    if np.mean(np.abs(edge - level) > 0.25) > 0.4:  # no clear background along the edge
        return float(np.median(plane))
    return level


def on_transparent_background(alpha: np.ndarray) -> bool:
    """float (H, W) alpha in [0, 1] -> whether the background is transparent: the strokes are the opaque part."""
    return background_level(alpha) < 0.5


def ink_map(image: np.ndarray) -> np.ndarray:
    """float32 (H, W, C) in [0, 1] -> float32 (H, W) ink strength in [0, 1], background 0.

    A transparent background makes alpha the ink (whatever the stroke colour). Otherwise the
    background is the median gray level, so dark-on-light and light-on-dark both work.
    """
    channels = image.shape[2]
    color = image[..., : 3 if channels >= 3 else 1]
    if channels in (2, 4):
        alpha = image[..., -1]
        if on_transparent_background(alpha):
            return alpha.astype(np.float32)
        color = color * alpha[..., None] + (1.0 - alpha[..., None])  # composite over white
    gray = color[..., 0] if color.shape[2] == 1 else cv2.cvtColor(color, cv2.COLOR_RGB2GRAY)
    background = background_level(gray)
    ink = background - gray if background > 0.5 else gray - background
    strongest = float(ink.max())
    if strongest < MIN_CONTRAST:
        return np.zeros_like(gray, dtype=np.float32)
    return np.clip(ink / strongest, 0.0, 1.0).astype(np.float32)


def opaque_to_gray(image: np.ndarray) -> np.ndarray:
    """uint8 (H, W, 3|4) with no transparent pixel -> uint8 (H, W) gray; any other array unchanged.

    Canvases and decoded files are opaque 8-bit colour: going to gray before the float steps
    makes them a tenth of the cost (the ink is the same to within 1/255).
    """
    array = np.asarray(image)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] not in (3, 4) or array.size == 0:
        return array
    if array.shape[2] == 4 and array[..., 3].min() != 255:
        return array
    code = cv2.COLOR_RGB2GRAY if array.shape[2] == 3 else cv2.COLOR_RGBA2GRAY
    return cv2.cvtColor(np.ascontiguousarray(array), code)


def transparent_alpha(image: np.ndarray) -> np.ndarray | None:
    """uint8 (H, W, 4) on a transparent background -> float32 (H', W') alpha in [0, 1], H', W' <= MAX_SIDE;
    None for any other array.

    ink_map would take the alpha as the ink anyway: converting only that plane, not all four,
    saves most of the cost of a transparent canvas.
    """
    array = np.asarray(image)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 4 or array.size == 0:
        return None
    alpha = to_float_image(shrink_if_huge(array[..., 3:]))[..., 0]
    return alpha if on_transparent_background(alpha) else None


def stroke_core_level(ink: np.ndarray) -> float:
    """float32 (H, W) ink in [0, 1] -> how strong its strokes are at their core (1.0: no ink).

    The median of the ridge: pixels no fainter than any neighbour, within two pixels of a clear
    drop (a stroke's core, however thin or thick; not the inside of a broad, flat gray area
    such as a shadow on a photo), counting only ink stronger than MIN_CONTRAST.
    """
    rows, cols = np.flatnonzero(ink.max(axis=1) >= MIN_CONTRAST), np.flatnonzero(ink.max(axis=0) >= MIN_CONTRAST)
    if rows.size == 0:
        return 1.0
    window = np.pad(ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], 2)  # padded: the canvas ends in a drop
    lowest_around = cv2.erode(window, np.ones((5, 5), np.uint8))
    ridge = (window >= MIN_CONTRAST) & (window >= cv2.dilate(window, np.ones((3, 3), np.uint8))) & (lowest_around <= 0.5 * window)
    return float(np.median(window[ridge])) if ridge.any() else 1.0


def strengthen_faint_ink(ink: np.ndarray) -> np.ndarray:
    """float32 (H, W) ink in [0, 1] -> the same, brightened when its strokes are faint throughout.

    A light pencil, a transparent canvas drawn at low opacity, or a soft digit thinned until its
    lines are gray: strokes under INK_THRESHOLD would break apart or vanish. The drawing's own
    strokes set the scale, so a strong drawing is left exactly as it is.
    """
    core = stroke_core_level(ink)
    if core >= FAINT_CORE:
        return ink
    return np.clip(ink / max(core, 1.0 / FAINT_GAIN_LIMIT), 0.0, 1.0).astype(np.float32)


def image_to_ink(image: np.ndarray) -> np.ndarray:
    """Any image array (see to_float_image) -> float32 (H', W') ink map in [0, 1], H', W' <= MAX_SIDE."""
    image = opaque_to_gray(image)
    alpha = transparent_alpha(image)
    ink = alpha if alpha is not None else ink_map(shrink_if_huge(to_float_image(shrink_before_float(image))))
    return strengthen_faint_ink(ink)


def stroke_width(mask: np.ndarray) -> float:
    """bool (H, W) ink mask -> typical stroke width in pixels (twice the median ridge distance)."""
    # Padded: distanceTransform counts the outside of the array as ink, which would double the
    # width of a stroke running along the crop's edge (a 1's stem).
    inside = cv2.distanceTransform(np.pad(mask, 1).astype(np.uint8), cv2.DIST_L2, 3)
    ridge = (inside > 0) & (inside >= cv2.dilate(inside, np.ones((3, 3), np.uint8)))
    if not ridge.any():
        return 0.0
    return float(2.0 * np.median(inside[ridge]))


def set_stroke_width(ink: np.ndarray) -> np.ndarray:
    """float32 (h, w) ink of one digit -> float32 (h', w') with strokes near MNIST's relative width.

    Thickening and thinning offset the shape's signed distance field, which is exact for any
    brush size and costs the same whatever the amount; edges come out anti-aliased.
    """
    mask = ink >= INK_THRESHOLD
    if not mask.any():
        return ink
    height, width = mask.shape
    longest = max(height, width)
    current = stroke_width(mask)
    target = MNIST_STROKE_RATIO * longest
    if target / STROKE_TOLERANCE <= current <= target * STROKE_TOLERANCE:
        return ink
    # Offsetting by r changes the box by 2r as well: solve (current + 2r) / (longest + 2r) = ratio.
    offset = (MNIST_STROKE_RATIO * longest - current) / (2.0 * (1.0 - MNIST_STROKE_RATIO))
    if offset < 0:
        offset = max(offset, -0.45 * current)  # never thin a stroke away entirely
    margin = int(np.ceil(max(offset, 0))) + 2
    padded = cv2.copyMakeBorder(mask.astype(np.uint8), margin, margin, margin, margin, cv2.BORDER_CONSTANT, 0)
    inside = cv2.distanceTransform(padded, cv2.DIST_L2, 5)
    outside = cv2.distanceTransform(1 - padded, cv2.DIST_L2, 5)
    signed = np.where(padded > 0, inside - 0.5, 0.5 - outside)
    if offset < 0:
        offset = keep_strokes_whole(padded, signed, offset)
    return np.clip(signed + offset + 0.5, 0.0, 1.0).astype(np.float32)


def keep_strokes_whole(mask: np.ndarray, signed: np.ndarray, offset: float) -> float:
    """uint8 (h, w) mask, float32 signed distance, negative offset -> the largest thinning (up to
    offset) that does not break the ink into more pieces.

    A very thick brush nearly closes a digit's loops (an 8 with two slits for holes): thinning it
    to MNIST's width would cut the thin walls between loop and outside and leave a dot.
    """
    pieces = cv2.connectedComponents(mask, connectivity=8)[0]
    for _attempt in range(THINNING_ATTEMPTS):
        if cv2.connectedComponents((signed + offset > 0).astype(np.uint8), connectivity=8)[0] <= pieces:
            return offset
        offset /= 2
    return offset


def ink_bounds(ink: np.ndarray) -> tuple[int, int, int, int] | None:
    """float32 (H, W) -> (top, left, bottom, right) of the pixels that hold any ink; None when blank."""
    rows = np.flatnonzero(ink.max(axis=1) > 0.05)
    cols = np.flatnonzero(ink.max(axis=0) > 0.05)
    return (int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1) if rows.size else None


def crop_to_ink(ink: np.ndarray) -> np.ndarray:
    """float32 (H, W) -> float32 (h, w), the bounding box of the pixels that hold any ink."""
    bounds = ink_bounds(ink)
    if bounds is None:
        return ink[:0, :0]
    top, left, bottom, right = bounds
    return ink[top:bottom, left:right]


def fit_box(ink: np.ndarray) -> np.ndarray:
    """float32 (h, w) cropped digit -> float32 (h', w') with max(h', w') = 20, aspect kept, anti-aliased."""
    height, width = ink.shape
    scale = DIGIT_BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return np.clip(cv2.resize(ink, size, interpolation=interpolation), 0.0, 1.0)


def centre_of_mass_corner(digit: np.ndarray) -> tuple[int, int]:
    """float32 (h, w) with h, w <= 20, some ink -> (top, left) in 28x28 that puts its centre of mass
    at MNIST's centre, the whole box kept inside."""
    height, width = digit.shape
    total = float(digit.sum())
    rows, cols = np.indices(digit.shape)
    centre_row = float((digit * rows).sum() / total)
    centre_col = float((digit * cols).sum() / total)
    top = int(round(MNIST_CENTRE - centre_row))
    left = int(round(MNIST_CENTRE - centre_col))
    # Keep the whole box inside the 28x28 field even for lopsided digits like a 7.
    return min(max(top, 0), IMAGE_SIZE - height), min(max(left, 0), IMAGE_SIZE - width)


def place_by_centre_of_mass(digit: np.ndarray) -> np.ndarray:
    """float32 (h, w) with h, w <= 20 -> float32 (28, 28), centre of mass moved to MNIST's centre."""
    out = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    if float(digit.sum()) <= 0:
        return out
    top, left = centre_of_mass_corner(digit)
    out[top : top + digit.shape[0], left : left + digit.shape[1]] = digit
    return out


@dataclass(frozen=True)
class NormalizeSteps:
    """What each step of normalize_digit made of one digit's ink, and where each picture sits in the
    one before: enough to show the steps and to map the 28x28 input back onto the drawing."""

    cropped: np.ndarray  # float32 (h, w): the ink's bounding box
    crop_origin: tuple[int, int]  # (row, column) of cropped's corner in the digit's ink
    restroked: np.ndarray  # float32 (h2, w2): strokes brought near MNIST's width, cropped again
    restroked_origin: tuple[int, int]  # ... its corner in cropped's pixels (negative: thickening grew the box)
    fitted: np.ndarray  # float32 (h', w'), max(h', w') = 20: restroked scaled into MNIST's 20x20 box
    placed_at: tuple[int, int]  # (top, left) of fitted in the 28x28 input
    model_input: np.ndarray  # float32 (28, 28) in [0, 1]


def normalize_steps(ink: np.ndarray) -> NormalizeSteps | None:
    """float32 (h, w) ink of one digit (other ink removed) -> every step of normalize_digit; None when blank."""
    bounds = ink_bounds(ink)
    if bounds is None:
        return None
    top, left, bottom, right = bounds
    cropped = ink[top:bottom, left:right]
    widened = set_stroke_width(cropped)
    # set_stroke_width pads by the same margin on every side when it changes the strokes.
    margin = (widened.shape[0] - cropped.shape[0]) // 2
    widened_bounds = ink_bounds(widened)
    if widened_bounds is None:  # thinned away entirely: the cropped ink is used as it is
        restroked, restroked_origin = cropped, (0, 0)
    else:
        restroked = widened[widened_bounds[0] : widened_bounds[2], widened_bounds[1] : widened_bounds[3]]
        restroked_origin = (widened_bounds[0] - margin, widened_bounds[1] - margin)
    fitted = fit_box(restroked)
    placed_at = centre_of_mass_corner(fitted) if float(fitted.sum()) > 0 else (0, 0)
    return NormalizeSteps(cropped, (top, left), restroked, restroked_origin, fitted, placed_at,
                          place_by_centre_of_mass(fitted))


def normalize_digit(ink: np.ndarray) -> np.ndarray:
    """float32 (h, w) ink of one digit (other ink removed) -> float32 (28, 28) in [0, 1], MNIST-style."""
    steps = normalize_steps(ink)
    return steps.model_input if steps is not None else np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
