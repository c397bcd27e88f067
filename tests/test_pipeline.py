"""From drawing to digit: wherever, however big, whatever brush or canvas style, the same answer."""

from __future__ import annotations

import io
import itertools
import time

import cv2
import numpy as np
import pytest
from conftest import DRAWN_STROKES, FIXTURE_MNIST, stroke_canvas
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from mnist_core.data import load_from_dir
from mnist_core.image_io import decode_image
from mnist_core.normalize import (
    INK_THRESHOLD,
    image_to_ink,
    ink_map,
    shrink_before_float,
    shrink_if_huge,
    strengthen_faint_ink,
    to_float_image,
)
from mnist_core.predictor import EMPTY, NOT_DIGIT, OK, UNSURE
from mnist_core.segment import SPECK_LABEL, find_components, speck_side
from mnist_core.synthetic import STYLES, drawn_digit, render, stamp, thinned_soft_digit

SIZES = [50, 90, 140, 200, 270]
BRUSHES = {"hairline": 0.01, "medium": 0.12, "thick": 0.26}  # as a fraction of the digit's height


def place(mask: np.ndarray, where: tuple[float, float], size: int = 280) -> np.ndarray:
    """A bool mask placed on a canvas at fractional position where=(x, y) of the free room."""
    canvas = np.zeros((size, size), np.float32)
    mask = mask[:size, :size]
    top = int(where[1] * (size - mask.shape[0]))
    left = int(where[0] * (size - mask.shape[1]))
    stamp(canvas, mask, top, left)
    return canvas


# The fixture's test digits these tests draw, one per class 0-9: the first of each class the
# 3-December ensemble read right with p > 0.999. Fixed, so that a new model is judged on the same
# drawings as the one before it (chosen anew per model, a retrained ensemble picked another 9, a
# slanted one that every ensemble, the old included, reads as a 7 when it touches an 8).
SAMPLE_DIGIT_INDICES = (10, 5, 1, 30, 4, 15, 11, 0, 61, 9)


@pytest.fixture(scope="module")
def sample_digits(predictor):
    """One MNIST test digit of each class (from the committed fixture), in label order 0-9.

    Digits the model reads right and without doubt as MNIST made them, so that these tests judge
    the drawing pipeline, not the model on MNIST's own ambiguous digits.
    """
    test = load_from_dir(FIXTURE_MNIST).test
    images, labels = test.images[list(SAMPLE_DIGIT_INDICES)], test.labels[list(SAMPLE_DIGIT_INDICES)]
    assert list(labels) == list(range(10))
    probabilities = predictor.probabilities(images / 255.0)
    assert (probabilities.argmax(axis=1) == labels).all() and (probabilities.max(axis=1) > 0.999).all(), probabilities.max(axis=1)
    return [(image, int(label)) for image, label in zip(images, labels)]


def test_one_digit_anywhere_any_size_any_brush_any_style(predictor, sample_digits):
    """5 sizes x 9 positions x 3 brushes x 3 styles = 405 canvases of one drawn digit: one answer."""
    image, label = sample_digits[7]
    positions = list(itertools.product([0.0, 0.5, 1.0], repeat=2))
    answers = []
    for size, (brush_name, brush), style in itertools.product(SIZES, BRUSHES.items(), STYLES):
        mask = drawn_digit(image, size, max(1.5, brush * size))
        canvases = np.stack([render(place(mask, where), style) for where in positions])
        for canvas in canvases:
            reading = predictor.read(canvas)
            answers.append((size, brush_name, style, reading.status, reading.text))
    wrong = [a for a in answers if a[4] != str(label)]
    assert len(answers) == 405 and not wrong, wrong[:10]


def test_drawn_sample_digits_are_read_at_small_and_large_sizes(predictor, sample_digits):
    for (image, label), size in itertools.product(sample_digits, [60, 240]):
        canvas = render(place(drawn_digit(image, size, size * 0.1), (0.3, 0.7)), "black_on_white")
        assert predictor.read(canvas).text == str(label), (label, size)


@pytest.mark.parametrize("digit", sorted(DRAWN_STROKES))
def test_mouse_drawn_digits_including_two_stroke_ones(predictor, digit):
    canvas = stroke_canvas(DRAWN_STROKES[digit], scale=2.2, offset=(30, 20))
    for multi in (False, True):
        reading = predictor.read(render(canvas, "black_on_transparent"), multi=multi)
        assert (reading.status, reading.text) == (OK, digit)


def test_nothing_drawn_is_empty_never_a_digit(predictor):
    blank = np.zeros((280, 280, 4), np.uint8)
    white = np.full((280, 280, 3), 255, np.uint8)
    dot = stroke_canvas([[(50, 50), (50.5, 50)]], brush=20)
    tiny_dot = stroke_canvas([[(10, 90), (10, 90)]], brush=3)
    specks = np.zeros((280, 280), np.float32)
    rng = np.random.default_rng(0)
    for x, y in rng.integers(5, 275, size=(12, 2)):
        specks[y - 1 : y + 1, x - 1 : x + 1] = 1.0
    for canvas in (blank, white, render(dot, "white_on_black"), render(tiny_dot, "black_on_white"),
                   render(specks, "black_on_transparent")):
        for multi in (False, True):
            reading = predictor.read(canvas, multi=multi)
            assert reading.status == EMPTY and reading.digits == []


def test_specks_away_from_the_digit_do_not_change_it(predictor, sample_digits):
    for image, label in sample_digits[:5]:
        canvas = place(drawn_digit(image, 120, 12), (0.5, 0.5))
        clean = predictor.read(render(canvas, "white_on_black")).first
        speckled = canvas.copy()
        for x, y in [(8, 8), (270, 12), (15, 260), (262, 268), (140, 6)]:
            speckled[y - 2 : y + 2, x - 2 : x + 2] = 1.0
        noisy = predictor.read(render(speckled, "white_on_black")).first
        assert noisy.box == clean.box and noisy.digit == clean.digit == label
        np.testing.assert_allclose(noisy.model_input, clean.model_input)


def test_stray_dashes_and_blots_away_from_the_digit_do_not_change_it(predictor, sample_digits):
    """Slips of the pen in the far corner from a small or a medium digit: short dashes and a blot."""
    for (image, label), height in itertools.product(sample_digits, (60, 120)):
        canvas = place(drawn_digit(image, height, max(3.0, 0.1 * height)), (0.15, 0.15))
        clean = predictor.read(render(canvas, "black_on_white")).first
        stray = canvas.copy()
        cv2.line(stray, (236, 244), (248, 250), 1.0, 2)
        cv2.line(stray, (262, 232), (267, 244), 1.0, 3)
        cv2.line(stray, (238, 268), (250, 265), 1.0, 2)
        cv2.circle(stray, (262, 264), 6, 1.0, -1)
        noisy = predictor.read(render(stray, "black_on_white")).first
        assert noisy.box == clean.box and noisy.digit == clean.digit == label, (label, height)


def test_a_stroke_broken_into_dashes_smaller_than_specks_reads_as_its_digit(predictor, sample_digits):
    """A skipping pen, or a hairline thinned apart: every stroke cut into dashes a few pixels long."""
    rows, cols = np.mgrid[0:280, 0:280]
    for (image, label), height, period in itertools.product(sample_digits, (150, 250), (4, 5, 6)):
        canvas = place(drawn_digit(image, height, 2.0), (0.5, 0.5))
        dashed = canvas * (((rows + cols) // (period // 2)) % 2 == 0)  # diagonal cuts: no stroke survives whole
        assert predictor.read(render(dashed, "white_on_black")).text == str(label), (label, height, period)


def test_several_digits_read_left_to_right(predictor, sample_digits):
    by_label = {label: image for image, label in sample_digits}
    canvas = np.zeros((280, 700), np.float32)
    for index, label in enumerate([2, 0, 1, 4]):
        stamp(canvas, drawn_digit(by_label[label], 150, 14), 60, 20 + 170 * index)
    reading = predictor.read(render(canvas, "black_on_white"), multi=True)
    assert reading.text == "2014"
    lefts = [d.box.left for d in reading.digits]
    assert lefts == sorted(lefts)


def test_a_four_whose_strokes_do_not_touch_is_one_digit_but_six_one_is_two(predictor):
    """Apart, the 4's pieces look like a doubtful 6 and a 1; the model reads them surely as one 4.
    A real 6 and 1 the same distance apart stay two digits."""
    four = [[(35, 8), (20, 62), (66, 62)], [(78, 8), (78, 95)]]
    six_one = [[(60, 8), (30, 50), (28, 80), (50, 95), (70, 80), (60, 55), (32, 62)]], [[(92, 10), (92, 95)]]
    for offset in [(40, 40), (100, 10)]:
        canvas = stroke_canvas(four, scale=1.8, offset=offset, brush=14)
        assert predictor.read(render(canvas, "black_on_white"), multi=True).text == "4"
    canvas = np.maximum(*(stroke_canvas(strokes, scale=1.8, offset=(30, 40), brush=14) for strokes in six_one))
    assert predictor.read(render(canvas, "black_on_white"), multi=True).text == "61"


def test_a_one_after_a_four_drawn_in_pieces_is_not_swallowed_into_the_four(predictor):
    """This MNIST 4's strokes do not touch; the model, offered the 4's right piece and the 1 side by
    side in one box, reads a sure 4. Two full-height pieces stay two digits: "41", never "4"."""
    test = load_from_dir(FIXTURE_MNIST).test
    four, one = test.images[115], test.images[272]
    assert (test.labels[115], test.labels[272]) == (4, 1)
    for height, brush, gap in itertools.product((100, 140, 180), (8, 20), (0.1, 0.25)):
        first, second = drawn_digit(four, height, brush), drawn_digit(one, height, brush)
        space = int(gap * height)
        canvas = np.zeros((280, 40 + first.shape[1] + space + second.shape[1]), np.float32)
        stamp(canvas, first, 260 - first.shape[0], 20)
        stamp(canvas, second, 260 - second.shape[0], 20 + first.shape[1] + space)
        reading = predictor.read(render(canvas, "black_on_white"), multi=True)
        assert reading.text == "41", (height, brush, gap, reading.text)


def test_a_small_digit_beside_big_ones_is_a_digit_but_a_detached_flag_is_part_of_its_five(predictor, sample_digits):
    """Digits in a row need not be the same size: one half as tall as its neighbour, a normal gap
    away, is a digit of its own (it was joined to the neighbour as a piece of it). A piece just
    beside a digit is still part of it: a 5 whose flag was drawn as a separate stroke."""
    by_label = {label: image for image, label in sample_digits}
    for pair, small_first, gap in itertools.product(["80", "35", "62", "47", "91"], (False, True), (0.15, 0.25)):
        heights = (80, 160) if small_first else (160, 80)
        masks = [drawn_digit(by_label[int(d)], height, 12) for d, height in zip(pair, heights)]
        canvas = np.zeros((280, 80 + sum(m.shape[1] for m in masks) + int(gap * 160)), np.float32)
        stamp(canvas, masks[0], 240 - masks[0].shape[0], 30)
        stamp(canvas, masks[1], 240 - masks[1].shape[0], 30 + masks[0].shape[1] + int(gap * 160))
        assert predictor.read(render(canvas, "black_on_white"), multi=True).text == pair, (pair, small_first, gap)
    body = [(32, 10), (30, 48), (50, 42), (68, 55), (70, 75), (55, 92), (28, 86)]
    flag = [(62, 9), (92, 7)]  # begun beside the stem and drawn to the right: not above the body
    two = [(20, 30), (50, 8), (78, 30), (25, 92), (82, 92)]
    for scale, brush in itertools.product((1.2, 2.0), (8, 16)):
        five = stroke_canvas([body, flag], size=420, scale=scale, offset=(20 + 100 * scale, 30), brush=brush)
        assert predictor.read(render(five, "black_on_white"), multi=True).text == "5", (scale, brush)
        strip = np.maximum(five, stroke_canvas([two], size=420, scale=scale, offset=(10, 30), brush=brush))
        assert predictor.read(render(strip, "black_on_white"), multi=True).text == "25", (scale, brush)


def touching(masks: list[np.ndarray]) -> np.ndarray:
    """Drawn digits side by side on one canvas, each moved left until its ink touches the one before."""
    canvas = np.zeros((280, 40 + sum(m.shape[1] for m in masks)), np.float32)
    left = 20
    for index, mask in enumerate(masks):
        height, width = mask.shape
        shift = 0
        while index and shift < width and not (canvas[40 : 40 + height, left - shift : left - shift + width] > 0)[mask].any():
            shift += 1
        stamp(canvas, mask, 40, left - shift)
        left += width - shift
    return canvas


def test_digits_whose_ink_touches_are_read_apart_but_a_wide_digit_stays_whole(predictor, sample_digits):
    """Written fast, neighbours touch and make one blob: it is cut where they meet, not read as one
    digit (the previous splitter read "20" as 0 and "43" as 4). A digit drawn wider than it is tall
    is one blob as wide, and stays one digit."""
    by_label = {label: image for image, label in sample_digits}
    for pair, height, brush in itertools.product(["20", "43", "52", "68", "77", "89"], (120, 180), (10, 18)):
        canvas = touching([drawn_digit(by_label[int(d)], height, brush) for d in pair])
        assert predictor.read(render(canvas, "black_on_white"), multi=True).text == pair, (pair, height, brush)
    for label, stretch in itertools.product(range(10), (1.2, 1.4)):
        wide = cv2.resize(by_label[label], (int(28 * stretch), 28), interpolation=cv2.INTER_LINEAR)
        canvas = touching([drawn_digit(wide, 140, 12)])
        assert predictor.read(render(canvas, "black_on_white"), multi=True).text == str(label), (label, stretch)


def test_digits_drawn_with_a_huge_brush_are_digits_not_dots(predictor, sample_digits):
    """A brush a third of the digit's height fills its loops and makes a fat round blob: still a digit."""
    for image, label in sample_digits:
        for brush in (0.3, 0.4, 0.45):
            canvas = place(drawn_digit(image, 200, brush * 200), (0.5, 0.5))
            reading = predictor.read(render(canvas, "black_on_white"))
            assert reading.text == str(label), (label, brush, reading.status)


def test_ten_is_read_as_one_zero_not_as_one_digit(predictor):
    canvas = stroke_canvas(DRAWN_STROKES["1"], scale=2.0, offset=(10, 40))
    canvas = np.maximum(canvas, stroke_canvas(DRAWN_STROKES["0"], scale=2.0, offset=(120, 40)))
    assert predictor.read(render(canvas, "white_on_black"), multi=True).text == "10"


def test_faint_ink_is_read_like_strong_ink(predictor, sample_digits):
    """A light pen (30% strength), and soft digits thinned until their lines are gray, in every style."""
    answers = []
    for image, label in sample_digits:
        light_pen = place(drawn_digit(image, 150, 15), (0.3, 0.6)) * 0.3
        thinned = np.zeros((280, 280), np.float32)
        soft = thinned_soft_digit(image, 150, 8)
        thinned[40 : 40 + soft.shape[0], 60 : 60 + soft.shape[1]] = soft
        for name, ink in (("light pen", light_pen), ("thinned", thinned)):
            answers += [(label, name, style, predictor.read(render(ink, style)).text) for style in STYLES]
    wrong = [answer for answer in answers if answer[3] != str(answer[0])]
    assert len(answers) == 60 and not wrong, wrong


def test_inverted_transparent_and_gray_inputs_agree(predictor, sample_digits):
    image, label = sample_digits[2]
    ink = place(drawn_digit(image, 160, 16), (0.2, 0.4))
    variants = [render(ink, style) for style in STYLES]
    variants += [(ink * 255).astype(np.uint8), 1.0 - ink, (ink * 65535).astype(np.uint16), ink > 0.5]
    rgba_white_strokes = np.zeros((280, 280, 4), np.uint8)
    rgba_white_strokes[..., :3] = 255
    rgba_white_strokes[..., 3] = (ink * 255).astype(np.uint8)
    variants.append(rgba_white_strokes)
    answers = {predictor.read(v).text for v in variants}
    assert answers == {str(label)}


def test_not_sure_gives_the_top_two(predictor):
    scribble = stroke_canvas([[(10, 10), (90, 90), (10, 90), (90, 10), (50, 5), (50, 95), (5, 50), (95, 50)]],
                             brush=14, scale=2.6)
    reading = predictor.read(scribble)
    assert reading.status in (OK, UNSURE, NOT_DIGIT)
    first = reading.first
    (top, p_top), (second, p_second) = first.top_two
    assert top == first.digit and top != second and p_top >= p_second
    assert first.status in (NOT_DIGIT, OK if first.confidence >= predictor.unsure_threshold else UNSURE)


BAD_INPUTS = {
    "empty array": np.zeros((0, 0)),
    "empty rows": np.zeros((0, 10, 3), np.uint8),
    "five channels": np.zeros((10, 10, 5), np.uint8),
    "four dimensions": np.zeros((1, 10, 10, 3), np.uint8),
    "NaN": np.full((20, 20), np.nan),
    "infinity": np.full((20, 20), np.inf),
    "strings": np.array([["a", "b"], ["c", "d"]]),
    "objects": np.array([[None, 1], [2, 3]], dtype=object),
    "complex": np.zeros((5, 5), complex),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_arrays_give_a_clear_error(predictor, name):
    with pytest.raises(ValueError, match="image"):
        predictor.read(BAD_INPUTS[name])


def test_tiny_and_huge_images_are_handled(predictor):
    assert predictor.read(np.zeros((1, 1), np.uint8)).status == EMPTY
    assert predictor.read(np.full((1, 1), 255, np.uint8)).status == EMPTY
    huge = np.zeros((5000, 5000), np.uint8)
    huge[1000:4000, 2300:2700] = 255  # a "1" as a thick bar
    started = time.perf_counter()
    reading = predictor.read(huge)
    assert time.perf_counter() - started < 20  # bounded: the image is shrunk before any work
    assert reading.status in (OK, UNSURE)
    # Salt-and-pepper noise is ~50,000 blobs: it took 12 s (the server's whole attention) until
    # only the largest blobs were examined; now a fraction of a second.
    noise = (np.random.default_rng(0).random((1024, 1024)) > 0.7).astype(np.uint8) * 255
    started = time.perf_counter()
    reading = predictor.read(noise, multi=True)
    assert time.perf_counter() - started < 5
    assert reading.status in (OK, UNSURE, NOT_DIGIT, EMPTY)


@pytest.mark.parametrize("data", [b"", b"hello, this is a text file\n", b"\x89PNG\r\n\x1a\n" + b"\0" * 40])
def test_unreadable_files_give_a_clear_error(data):
    with pytest.raises(ValueError, match="drawing.png"):
        decode_image(data, name="drawing.png")


def test_truncated_png_gives_a_clear_error():
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 200, 3), dtype=np.uint8)).save(buffer, "PNG")
    with pytest.raises(ValueError, match="not a readable image"):
        decode_image(buffer.getvalue()[: len(buffer.getvalue()) // 2], name="drawing.png")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    hnp.arrays(
        dtype=st.sampled_from([np.uint8, np.uint16, np.float32, np.float64, np.int32, np.bool_]),
        shape=st.one_of(
            hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=64),
            st.tuples(st.integers(1, 64), st.integers(1, 64), st.sampled_from([1, 2, 3, 4])),
        ),
    )
)
@example(array=np.array([[0, 0, 0, 128, 128, 128, 128]], np.uint8))  # once split into pieces narrower than 2 px
def test_any_array_gives_a_reading_or_a_clear_error(predictor, array):
    try:
        reading = predictor.read(array, multi=bool(array.size % 2))
    except ValueError as error:
        assert "image" in str(error)
        return
    assert reading.status in (OK, UNSURE, NOT_DIGIT, EMPTY)
    for digit in reading.digits:
        assert digit.model_input.shape == (28, 28) and digit.model_input.dtype == np.float32
        assert 0.0 <= digit.model_input.min() and digit.model_input.max() <= 1.0
        assert abs(float(digit.probabilities.sum()) - 1.0) < 1e-3


def test_stroke_width_is_measured_right_even_along_the_crop_edge():
    from mnist_core.normalize import stroke_width

    stem = np.zeros((120, 20), bool)
    stem[:, :] = True  # a 20 px wide stem filling its crop, as a 1's box does
    assert 18 <= stroke_width(stem) <= 22
    ring = np.zeros((100, 100), np.uint8)
    cv2.circle(ring, (50, 50), 40, 1, 8)
    assert 6 <= stroke_width(ring > 0) <= 10


def test_a_scribble_over_the_whole_canvas_and_hundreds_of_strokes_get_an_answer(predictor):
    rng = np.random.default_rng(3)
    scribble = stroke_canvas([rng.uniform(0, 100, size=(60, 2)).tolist()], brush=25, scale=2.8)
    many = stroke_canvas([rng.uniform(0, 100, size=(2, 2)).tolist() for _ in range(400)], brush=3, scale=2.8)
    for canvas in (scribble, many):
        for multi in (False, True):
            reading = predictor.read(render(canvas, "black_on_white"), multi=multi)
            assert reading.status in (OK, UNSURE, NOT_DIGIT, EMPTY)
            assert all(d.model_input.shape == (28, 28) for d in reading.digits)


def test_elongated_tap_is_a_dot_but_a_short_thick_one_is_a_digit(predictor):
    tap = stroke_canvas([[(40, 40), (44, 41)]], brush=30)
    assert predictor.read(render(tap, "black_on_white")).status == EMPTY
    one = stroke_canvas([[(50, 20), (50, 80)]], brush=20, scale=2.0)
    assert predictor.read(render(one, "black_on_white")).text == "1"


# The fast paths must read exactly what the plain ones would: same ink, same blobs.


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 1400), st.integers(1, 1400), st.floats(0.0, 1.0), st.integers(0, 2**32 - 1))
def test_a_transparent_canvas_gives_the_same_ink_as_the_general_path(height, width, covered, seed):
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (height, width, 4), dtype=np.uint8)
    image[..., 3] = np.where(rng.random((height, width)) < covered, image[..., 3], 0)
    general = strengthen_faint_ink(ink_map(shrink_if_huge(to_float_image(shrink_before_float(image)))))
    assert np.array_equal(image_to_ink(image), general)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
@example(81082)  # blobs numbered in another order by OpenCV's default algorithm
@example(12)  # specks among the strokes
def test_blobs_found_within_the_ink_box_are_those_of_the_whole_canvas(seed):
    rng = np.random.default_rng(seed)
    ink = np.zeros((int(rng.integers(20, 300)), int(rng.integers(20, 300))), np.float32)
    for _ in range(int(rng.integers(0, 12))):
        points = rng.integers(0, max(ink.shape), (int(rng.integers(2, 5)), 2)).astype(np.int32)
        cv2.polylines(ink, [points], False, float(rng.uniform(0.2, 1.0)), int(rng.integers(1, 9)))
    labels, components = find_components(ink)
    count, whole_labels, stats, _ = cv2.connectedComponentsWithStats((ink >= INK_THRESHOLD).astype(np.uint8), connectivity=8)
    # The same blobs, maybe numbered otherwise (OpenCV's default algorithm scans 2x2 blocks, not
    # pixels): each label here is exactly one label there, and background is background.
    pairs = np.unique(np.stack([labels.ravel(), whole_labels.ravel()]), axis=1)
    specks, pairs = pairs[:, pairs[0] == SPECK_LABEL], pairs[:, pairs[0] != SPECK_LABEL]
    assert len(set(pairs[0])) == len(set(pairs[1])) == pairs.shape[1] == count - specks.shape[1]
    # Specks share one label, and only blobs too small to be strokes are specks.
    assert (stats[specks[1], cv2.CC_STAT_WIDTH : cv2.CC_STAT_HEIGHT + 1].max(axis=1) < speck_side(ink.shape)).all()
    whole_label = dict(pairs.T.tolist())
    assert whole_label.get(0, 0) == 0
    for component in components:
        box, label = component.box, whole_label[component.label]
        assert stats[label, :4].tolist() == [box.left, box.top, box.width, box.height]
        assert stats[label, cv2.CC_STAT_AREA] == component.area
