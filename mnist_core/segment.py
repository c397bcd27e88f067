"""Find the digits in an ink map: drop stray specks and dots, group strokes, split left to right."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from mnist_core.normalize import INK_THRESHOLD

MIN_SPECK_SIDE = 3  # pixels; anything smaller is always noise
SPECK_SIDE_FRACTION = 0.015  # ... as is anything smaller than this fraction of the canvas side
MAX_BLOBS = 100  # a drawing of digits has a few blobs; noise has thousands: only the largest are examined
SPECK_LABEL = -1  # in the label map, a speck: no digit's stroke, but ink of the digit it lies on
BROKEN_STROKE_REACH = 0.1  # specks linked to a digit's strokes by hops this short (share of its box) are its dashes
DOT_ROUNDNESS = 1.6  # a solid blob no longer than 1.6x its own thickness is a dot, not a stroke
DOT_ASPECT = 1.5  # ... and a dot is round: a fat elongated blob is a digit drawn with a huge brush
DOT_SOLIDITY = 0.97  # ... and convex (a tap is a disk): a fat digit keeps dents where its strokes bend
MINOR_AREA_FRACTION = 0.03  # strokes this small next to the largest count only near other ink
NEAR_FRACTION = 0.15  # "near" = within this fraction of a stroke's size from its box
SHORT_STROKE = 0.35  # a stroke shorter than this share of the longest one (a dash) ...
SHORT_STROKE_REACH = 0.75  # ... counts only within this share of a long stroke's size from its box
SAME_DIGIT_OVERLAP = 0.5  # strokes overlapping horizontally by half the narrower are one digit
FRAGMENT_HEIGHT = 0.55  # a group less tall than this share of the tallest is a piece of a digit
FRAGMENT_REACH = 0.1  # ... joined to its nearest neighbour within this share of the tallest's height (further: a small digit)
TINY_PIECE = 0.35  # a group less tall than this share is a piece wherever it is (no one writes a digit that small beside others) ...
TINY_REACH = 0.6  # ... joined to its nearest neighbour within this share of the tallest's height
TOUCHING_WIDTH = 0.8  # a group wider than this times the line's height may be digits that touch
NARROWEST_DIGIT = 0.12  # ... cut no closer than this share of the line's height to its ends (a 1 is narrow)
CUT_SPACING = 0.1  # ... at columns with the least ink within this share of the line's height around them
MAX_CUTS = 8  # ... at most this many (the thinnest): reading every run between two cuts stays cheap
WIDEST_DIGIT = 1.4  # ... and no piece read is wider than this times the line's height
TYPICAL_WIDEST = 0.9  # a piece wider than this times the line's height is rarely one digit ...
WIDE_PENALTY = 1.5  # ... and costs this much log confidence per line height of extra width
SPLIT_PENALTY = 0.5  # each digit costs this much log confidence: a split must be clearly surer than the whole
CROSSING_PENALTY = 0.3  # a cut through more than one stroke costs this much per extra one (a wide 0 cut into "11")
MAX_JOINED = 3  # a digit drawn in pieces: at most this many neighbouring groups
JOIN_GAP = 0.1  # ... with gaps no wider than this share of the line's height (wider: digits of their own) ...
TINY_JOIN_GAP = 0.3  # ... or than this share, when one of the pieces is tiny
JOIN_WIDTH = 1.3  # ... and together no wider than this times the line's height
JOIN_MARGIN = 0.2  # another grouping must beat the geometric one by this much (log confidence)
SHORT_DIGIT = 0.7  # where pieces could be joined, a digit less tall than this share of the line ...
SHORT_PENALTY = 0.2  # ... costs this much log confidence: digits in a row are about as tall (a 4's open top)
TALL_PIECE = 0.8  # pieces each at least this share of the line's height, side by side, ...
TALL_JOIN_PENALTY = 1.0  # ... joined cost this much log confidence: they are nearly always two digits ("71", not a 4)


@dataclass(frozen=True)
class Box:
    """A rectangle in canvas pixels: left, top, width, height."""

    left: int
    top: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.left + self.width

    @property
    def bottom(self) -> int:
        return self.top + self.height

    def expanded(self, margin: float) -> "Box":
        grow = int(round(margin))
        return Box(self.left - grow, self.top - grow, self.width + 2 * grow, self.height + 2 * grow)

    def intersects(self, other: "Box") -> bool:
        return (
            self.left < other.right and other.left < self.right
            and self.top < other.bottom and other.top < self.bottom
        )

    def union(self, other: "Box") -> "Box":
        left, top = min(self.left, other.left), min(self.top, other.top)
        return Box(left, top, max(self.right, other.right) - left, max(self.bottom, other.bottom) - top)


@dataclass(frozen=True)
class Component:
    """One connected blob of ink."""

    label: int
    box: Box
    area: int
    is_dot: bool  # a filled round blob (a tap, a speck), not a stroke

    @property
    def longest_side(self) -> int:
        return max(self.box.width, self.box.height)


@dataclass(frozen=True)
class DigitInk:
    """The ink of one digit: its box on the canvas and its own ink only (float32 (h, w))."""

    box: Box
    ink: np.ndarray
    blobs: int = 1  # how many connected blobs of ink it is made of


def is_dot(blob: np.ndarray) -> bool:
    """bool (h, w) mask of one blob, cropped to its box -> whether it is a dot: round, convex, and
    not long compared with its own thickness (twice the largest distance from inside it to its edge)."""
    longest, shortest = max(blob.shape), max(1, min(blob.shape))
    if longest / shortest > DOT_ASPECT:
        return False  # elongated: a stroke, however thick (and no distance transform needed)
    padded = np.pad(blob, 1).astype(np.uint8)
    inside = cv2.distanceTransform(padded, cv2.DIST_L2, 3)  # see stroke_width
    if longest > DOT_ROUNDNESS * max(2.0 * float(inside.max()), 1.0):
        return False
    contours, _ = cv2.findContours(padded, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hull_area = cv2.contourArea(cv2.convexHull(np.vstack(contours)))
    return hull_area <= 0 or blob.sum() >= DOT_SOLIDITY * hull_area


def find_components(ink: np.ndarray) -> tuple[np.ndarray, list[Component]]:
    """float32 (H, W) ink -> int32 (H, W) label map (specks: SPECK_LABEL) and the blobs of ink above
    INK_THRESHOLD that are not specks (smaller than speck_side), at most MAX_BLOBS of them, the largest."""
    mask = (ink >= INK_THRESHOLD).astype(np.uint8)
    # Labelled within the ink's bounding box only (a digit often fills a small part of the canvas),
    # by a sequential algorithm: the default one runs in parallel, slower on an image this small.
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    labels = np.zeros(mask.shape, np.int32)
    if rows.size == 0:
        return labels, []
    top, left = int(rows[0]), int(cols[0])
    window = (slice(top, int(rows[-1]) + 1), slice(left, int(cols[-1]) + 1))
    count, labels[window], stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(
        mask[window], 8, cv2.CV_32S, cv2.CCL_SAUF
    )
    stats[1:, cv2.CC_STAT_LEFT] += left
    stats[1:, cv2.CC_STAT_TOP] += top
    sides = stats[1:, [cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT]].max(axis=1, initial=0)
    is_speck = sides < speck_side(ink.shape)
    if is_speck.any():
        relabel = np.arange(count, dtype=np.int32)
        relabel[1:][is_speck] = SPECK_LABEL
        labels[window] = relabel[labels[window]]
    candidates = 1 + np.flatnonzero(~is_speck)
    # Noise (a photo of sand, a random upload) has tens of thousands of blobs: bound the work.
    candidates = candidates[np.argsort(-stats[candidates, cv2.CC_STAT_AREA], kind="stable")[:MAX_BLOBS]]
    components = []
    for label in sorted(int(c) for c in candidates):
        box = Box(*(int(v) for v in stats[label, :4]))
        window = labels[box.top : box.bottom, box.left : box.right] == label
        components.append(Component(label, box, int(stats[label, cv2.CC_STAT_AREA]), is_dot(window)))
    return labels, components


def speck_side(canvas_shape: tuple[int, ...]) -> float:
    """A blob whose longest side is shorter than this is a speck, whatever its shape."""
    return max(MIN_SPECK_SIDE, SPECK_SIDE_FRACTION * max(canvas_shape[:2]))


def drop_specks(components: list[Component]) -> list[Component]:
    """Blobs (specks already left out) -> those that belong to a digit; [] when there is no stroke (blank, dots).

    Strokes make the digits; dots and very small strokes count only when they touch or sit
    near a stroke (part of a digit drawn in pieces), and short ones (a dash) only around a long
    one (a 7's bar broken off), so strays never move a digit's box.
    """
    strokes = [c for c in components if not c.is_dot]
    if not strokes:
        return []
    largest_area = max(c.area for c in strokes)
    longest = max(c.longest_side for c in strokes)
    major = [c for c in strokes if c.area >= MINOR_AREA_FRACTION * largest_area]
    long_strokes = [c for c in major if c.longest_side >= SHORT_STROKE * longest]
    major = [c for c in major if c in long_strokes
             or any(c.box.intersects(m.box.expanded(SHORT_STROKE_REACH * m.longest_side)) for m in long_strokes)]
    kept = list(major)
    for candidate in components:
        if candidate in major:
            continue
        if any(candidate.box.intersects(m.box.expanded(NEAR_FRACTION * m.longest_side)) for m in major):
            kept.append(candidate)
    return kept


def overlap_groups(components: list[Component]) -> list[list[Component]]:
    """Blobs -> groups of blobs that overlap horizontally (strokes of one digit), left to right."""
    groups: list[list[Component]] = []
    for component in sorted(components, key=lambda c: (-c.area)):
        for group in groups:
            left = min(c.box.left for c in group)
            right = max(c.box.right for c in group)
            overlap = min(right, component.box.right) - max(left, component.box.left)
            narrower = min(right - left, component.box.width)
            centre = component.box.left + component.box.width / 2
            if overlap >= SAME_DIGIT_OVERLAP * narrower or left <= centre <= right:
                group.append(component)
                break
        else:
            groups.append([component])
    return sorted(groups, key=lambda group: min(c.box.left for c in group))


def merge_fragments(groups: list[list["Component"]]) -> list[list["Component"]]:
    """Join pieces of a digit (a 5's detached flag, a stroke broken by a thin brush) to a neighbour.

    In a row of digits every digit is nearly as tall as the tallest; a much shorter group right
    beside another one is a piece of it, and a tiny one anywhere near. The shortest piece is joined
    first, then heights are rechecked.
    """
    groups = [list(g) for g in groups]
    while len(groups) > 1:
        boxes = [group_box(g) for g in groups]
        tallest = max(b.height for b in boxes)
        index = min(range(len(groups)), key=lambda i: boxes[i].height)
        if boxes[index].height >= FRAGMENT_HEIGHT * tallest:
            break
        gaps = {
            j: max(boxes[j].left - boxes[index].right, boxes[index].left - boxes[j].right, 0)
            for j in (index - 1, index + 1) if 0 <= j < len(groups)
        }
        neighbour = min(gaps, key=gaps.get)
        reach = TINY_REACH if boxes[index].height < TINY_PIECE * tallest else FRAGMENT_REACH
        if gaps[neighbour] > reach * tallest:
            break  # apart from everything: a small digit of its own, not a piece
        groups[neighbour].extend(groups.pop(index))
    return groups


def group_box(group: list[Component]) -> Box:
    """The bounding box of all the blobs in a group."""
    box = group[0].box
    for component in group[1:]:
        box = box.union(component.box)
    return box


def specks_along_strokes(strokes: np.ndarray, specks: np.ndarray, reach: float) -> np.ndarray:
    """bool (h, w) stroke and speck masks -> bool (h, w): the specks that continue the strokes.

    A skipping pen, or a hairline brush thinned apart, leaves a stroke as a chain of dashes, many
    shorter than a speck: a speck counts when a chain of hops no longer than reach links it to a
    stroke (a stray dot further away is left out).
    """
    hop = max(1, int(round(reach)))
    linked = cv2.dilate((strokes | specks).astype(np.uint8), np.ones((hop, hop), np.uint8))
    _count, chains = cv2.connectedComponents(linked, connectivity=8)
    return specks & np.isin(chains, np.unique(chains[strokes]))


def cut_ink(ink: np.ndarray, labels: np.ndarray, group: list[Component]) -> DigitInk:
    """The group's own ink (its blobs and the specks along their strokes), cropped to its box, with
    every other blob's ink removed."""
    box = group_box(group)
    window = labels[box.top : box.bottom, box.left : box.right]
    mine = np.logical_or.reduce([window == c.label for c in group])  # a few labels: faster than np.isin
    specks = window == SPECK_LABEL
    if specks.any():
        mine |= specks_along_strokes(mine, specks, BROKEN_STROKE_REACH * max(box.width, box.height))
    # Anti-aliased edges fall below the threshold: keep the faint ink right around our blobs.
    halo = cv2.dilate(mine.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    others = (window != 0) & ~mine
    keep = halo & ~others
    cropped = np.where(keep, ink[box.top : box.bottom, box.left : box.right], 0.0).astype(np.float32)
    return DigitInk(box=box, ink=cropped, blobs=len(group))


def cut_columns(digit: DigitInk, line_height: int) -> list[int]:
    """A group's ink -> columns (in its own ink) where touching digits may meet: the columns with
    the least ink around them, at most MAX_CUTS, no piece narrower than NARROWEST_DIGIT of the line."""
    width = digit.ink.shape[1]
    margin = max(2, int(NARROWEST_DIGIT * line_height))
    if width < 2 * margin:
        return []
    column_ink = np.convolve((digit.ink >= INK_THRESHOLD).sum(axis=0).astype(np.float32), np.ones(3) / 3, mode="same")
    reach = max(2, int(CUT_SPACING * line_height))
    padded = np.pad(column_ink, reach, mode="edge")
    lowest_near = np.lib.stride_tricks.sliding_window_view(padded, 2 * reach + 1).min(axis=1)
    minima = [x for x in range(margin, width - margin + 1) if column_ink[x] <= lowest_near[x]]
    cuts: list[int] = []
    for x in sorted(minima, key=lambda x: column_ink[x]):
        if len(cuts) < MAX_CUTS and all(abs(x - c) >= reach for c in cuts):
            cuts.append(x)
    return sorted(cuts)


def ink_between(digit: DigitInk, start: int, end: int) -> DigitInk | None:
    """The group's ink between two columns, cropped to its rows, as a digit of its own (None if blank)."""
    piece = digit.ink[:, start:end]
    rows = np.flatnonzero(piece.max(axis=1) >= INK_THRESHOLD)
    if rows.size == 0:
        return None
    box = Box(digit.box.left + start, digit.box.top + int(rows[0]), end - start, int(rows[-1] - rows[0] + 1))
    return DigitInk(box=box, ink=piece[rows[0] : rows[-1] + 1])


Span = tuple[int, int]  # a run start..end (end excluded), of groups or of a group's cuts, read as one digit


def best_chain(scores: dict[Span, float], end: int) -> tuple[float, list[Span]] | None:
    """Each span's score -> the chain of spans from 0 to end, each starting where the last one
    stopped, with the highest total: (total, spans), or None when no chain of scored spans reaches end.

    Dynamic programming: the best chain to each position, extended from the best chains to earlier
    ones (every way of reading a line of groups, or of cutting a group, without trying them all).
    """
    best: dict[int, tuple[float, list[Span]]] = {0: (0.0, [])}
    for stop in range(1, end + 1):
        options = [(best[start][0] + scores[(start, stop)], best[start][1] + [(start, stop)])
                   for start in range(stop) if (start, stop) in scores and start in best]
        if options:
            best[stop] = max(options, key=lambda option: option[0])
    return best.get(end)


def split_touching(digit: DigitInk, line_height: int, probabilities: Callable[[list[DigitInk]], np.ndarray]) -> list[DigitInk]:
    """A group of ink (maybe digits that touch, as in a quickly written "2024") and a reader
    (digits' ink -> float (n, 10) probabilities) -> the digits it holds, left to right.

    The ink is cut at its thinnest columns; every run between two cuts is read, and the way of
    cutting whose digits the model is surest of wins (dynamic programming over the cuts). Each
    extra digit costs SPLIT_PENALTY, a cut through several strokes CROSSING_PENALTY per extra stroke
    (touching digits meet in one), and a piece much wider than a digit WIDE_PENALTY per line height
    of extra width: so a wide 0 is not read "11" and touching digits are not read as one wide 4.
    Only single blobs are cut: ink in several blobs was already grouped by find_digits.
    """
    height, width = digit.ink.shape
    line_height = max(line_height, height)
    if width < TOUCHING_WIDTH * line_height or digit.blobs > 1:
        return [digit]
    # A piece scores at most 0 and every digit costs SPLIT_PENALTY: no split of two or more can
    # beat a whole scoring this well, so the pieces need not be read (most wide single digits).
    if piece_score(digit, probabilities([digit])[0], line_height) >= -SPLIT_PENALTY:
        return [digit]
    columns = [0, *cut_columns(digit, line_height), width]
    if len(columns) == 2:
        return [digit]
    last = len(columns) - 1
    spans = [(i, j) for i in range(last) for j in range(i + 1, last + 1)
             if columns[j] - columns[i] <= WIDEST_DIGIT * line_height or (i, j) == (0, last)]
    pieces = {span: digit if span == (0, last) else ink_between(digit, columns[span[0]], columns[span[1]])
              for span in spans}
    readable = [span for span in spans if pieces[span] is not None]
    read = dict(zip(readable, probabilities([pieces[span] for span in readable])))
    scores = {span: piece_score(pieces[span], read[span], line_height) for span in readable}
    cut_cost = [0.0] + [CROSSING_PENALTY * max(0, strokes_crossed(digit, x) - 1) for x in columns[1:-1]]
    costed = {(start, end): score - SPLIT_PENALTY - cut_cost[start] for (start, end), score in scores.items()}
    _total, chain = best_chain(costed, last)  # the whole group, (0, last), is always readable
    return [pieces[span] for span in chain]


def strokes_crossed(digit: DigitInk, column: int) -> int:
    """A group's ink and a column -> how many strokes a cut there crosses (ink runs, fewest of the 3 columns around it)."""
    ink = digit.ink[:, max(0, column - 1) : column + 2] >= INK_THRESHOLD
    starts = ink[0] + np.count_nonzero(ink[1:] & ~ink[:-1], axis=0)
    return int(starts.min()) if starts.size else 0


def piece_score(piece: DigitInk, probabilities: np.ndarray, line_height: int) -> float:
    """A piece of a group and its (10,) probabilities -> how likely it is one digit of the line (log confidence, penalized)."""
    score = float(np.log(max(float(probabilities.max()), 1e-9)))
    score -= WIDE_PENALTY * max(0.0, piece.box.width / line_height - TYPICAL_WIDEST)
    if piece.box.height < SHORT_DIGIT * line_height:
        score -= SHORT_PENALTY
    return score


def joinable_spans(groups: list[list[Component]]) -> list[Span]:
    """Runs of 2-3 neighbouring groups close and narrow enough to be one digit drawn in pieces."""
    boxes = [group_box(g) for g in groups]
    line_height = max(b.height for b in boxes)
    spans = []
    for start in range(len(groups)):
        right = boxes[start].right
        tiny = boxes[start].height < TINY_PIECE * line_height
        for end in range(start + 2, min(start + MAX_JOINED, len(groups)) + 1):
            gap = boxes[end - 1].left - right
            right = max(right, boxes[end - 1].right)
            tiny = tiny or boxes[end - 1].height < TINY_PIECE * line_height
            if gap > (TINY_JOIN_GAP if tiny else JOIN_GAP) * line_height or right - boxes[start].left > JOIN_WIDTH * line_height:
                break
            spans.append((start, end))
    return spans


def spans_of(grouping: list[list[Component]], groups: list[list[Component]]) -> list[Span]:
    """A grouping made by joining neighbouring groups -> the span of groups each of its digits covers."""
    spans, start = [], 0
    for joined in grouping:
        end = start
        while end < len(groups) and set(map(id, groups[end])) <= set(map(id, joined)):
            end += 1
        spans.append((start, end))
        start = end
    return spans


def best_grouping(groups: list[list[Component]], default: list[Span], confidence: Callable[[list[Span]], np.ndarray]) -> list[Span]:
    """Groups, the geometric grouping's spans and a reader's confidence per span -> the spans to read.

    Where a digit drawn in pieces could be joined in more than one way (a 4 whose strokes do not
    touch, a 5's flag between two digits), the model reads each way; the grouping whose digits it
    is surest of wins, by a clear margin over the geometric one. The model can be sure of
    nonsense squeezed into one box ("71" read as a 4): pieces that are each nearly as tall as the
    line need a far clearer margin to be joined.
    """
    alternatives = joinable_spans(groups)
    if not alternatives:
        return default
    heights = [group_box(g).height for g in groups]
    line_height = max(heights)
    standing_alone = {(i, i + 1) for i in range(len(groups))}
    # A piece the geometric grouping joined to a neighbour (much shorter than the line) never stands alone.
    standing_alone -= {(i, i + 1) for start, end in default if end - start > 1 for i in range(start, end)
                       if heights[i] < FRAGMENT_HEIGHT * line_height}
    candidates = sorted(standing_alone | set(alternatives) | set(default))
    scores = dict(zip(candidates, np.log(np.maximum(confidence(candidates), 1e-9))))
    for start, end in candidates:
        if group_box([c for g in groups[start:end] for c in g]).height < SHORT_DIGIT * line_height:
            scores[(start, end)] -= SHORT_PENALTY
        if end - start > 1 and min(heights[start:end]) >= TALL_PIECE * line_height:
            scores[(start, end)] -= TALL_JOIN_PENALTY
    best = best_chain(scores, len(groups))
    if best is not None and best[0] > sum(scores[span] for span in default) + JOIN_MARGIN:
        return best[1]
    return default


def find_digits(ink: np.ndarray, multi: bool, confidence: Callable[[list[DigitInk]], np.ndarray] | None = None) -> list[DigitInk]:
    """float32 (H, W) ink -> the digits' ink left to right ([] = nothing drawn); one digit unless multi.

    With `confidence` (digits' ink -> float (n,) the model's confidence in each), a digit drawn in
    pieces that geometry alone cannot group is grouped the way the model reads best.
    """
    labels, components = find_components(ink)
    kept = drop_specks(components)
    if not kept:
        return []
    if not multi:
        return [cut_ink(ink, labels, kept)]
    groups = overlap_groups(kept)
    grouping = merge_fragments(groups)
    if confidence is None or len(groups) < 2:
        return [cut_ink(ink, labels, group) for group in grouping]

    def join(span: Span) -> list[Component]:
        return [c for group in groups[span[0] : span[1]] for c in group]

    def span_confidence(spans: list[Span]) -> np.ndarray:
        return confidence([cut_ink(ink, labels, join(span)) for span in spans])

    chosen = best_grouping(groups, spans_of(grouping, groups), span_confidence)
    return [cut_ink(ink, labels, join(span)) for span in chosen]
