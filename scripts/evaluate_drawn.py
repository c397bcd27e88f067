"""Judge the whole drawing-to-digit pipeline on drawn-digit canvases made from MNIST test digits,
or from handwriting fonts no model trained on (other writers than MNIST's).

    python scripts/evaluate_drawn.py --per-kind 600            # table for the README
    python scripts/evaluate_drawn.py --source fonts            # the held-out handwriting fonts
    python scripts/evaluate_drawn.py --json                    # one JSON object
    python scripts/evaluate_drawn.py --save-failures /tmp/fail # PNGs of what went wrong
    python scripts/evaluate_drawn.py --model A --against B     # two models on the same canvases

Reports, per kind of canvas, how often the pipeline's answer is exactly right, next to a naive
whole-canvas resize to 28x28 (what many draw-a-digit demos do) fed to the same model, and next to
the model on the very images each canvas was drawn from, as MNIST made them (for fonts: each
glyph normalized the MNIST way): the most any pipeline could get with this model (the gap between
the two is what the pipeline loses). "unsure" is the share answered unsure or not_digit, "not digit"
the share answered not_digit alone.

--against B reads every canvas with a second model too and reports, per kind and over all kinds,
the canvases only one of the two reads right, with an exact McNemar test: the chance of a split
at least that uneven if the two models were equally good. Two models within a few canvases of each
other on 3,000 differ by chance more often than not; this says when they do not.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from math import comb
from pathlib import Path

import cv2
import numpy as np

from mnist_core.config import DEFAULT_MODEL
from mnist_core.data import WHERE_MNIST_COMES_FROM, load_mnist
from mnist_core.fonts import as_mnist, font_digits, handwritten_variants
from mnist_core.normalize import image_to_ink
from mnist_core.predictor import NOT_DIGIT, UNSURE, Predictor
from mnist_core.synthetic import KINDS, SINGLE_KINDS, STRIP_GAPS, make_samples

FONT_VARIANTS = 10  # handwritten variants of each held-out glyph that canvases are drawn from


def naive_answer(predictor: Predictor, image: np.ndarray) -> str:
    """The whole canvas resized to 28x28 and classified: the baseline most demos ship."""
    small = cv2.resize(image_to_ink(image), (28, 28), interpolation=cv2.INTER_AREA)
    return str(int(predictor.probabilities(small[None]).argmax()))


def originals_accuracy(read_right: np.ndarray, samples) -> float | None:
    """Share of canvases whose source MNIST images the model reads right, every digit of the
    canvas (read_right: bool per test image); None for canvases drawn from no image (blank, dot)."""
    if not any(sample.sources for sample in samples):
        return None
    return sum(all(read_right[index] for index in sample.sources) for sample in samples) / len(samples)


def wilson_interval(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% (z = 1.96) Wilson score interval of a share successes / total: how far a figure
    measured on this many canvases could be from the pipeline's true accuracy."""
    if total == 0:
        return 0.0, 1.0
    share = successes / total
    centre = (share + z * z / (2 * total)) / (1 + z * z / total)
    spread = z * np.sqrt(share * (1 - share) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return max(0.0, centre - spread), min(1.0, centre + spread)


def mcnemar_p(only_first_right: int, only_second_right: int) -> float:
    """Exact two-sided McNemar test on paired canvases: the chance, if both models were equally
    likely to be the one right where they disagree, of a split at least as uneven as this one."""
    disagreements = only_first_right + only_second_right
    if disagreements == 0:
        return 1.0
    tail = sum(comb(disagreements, k) for k in range(min(only_first_right, only_second_right) + 1))
    return min(1.0, 2 * tail / 2**disagreements)


def source_digits(args) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """The digits canvases are drawn from -> uint8 images (N, S, S), labels (N,), the same as
    MNIST made them, float32 (N, 28, 28), and each one's font name (None for MNIST)."""
    if args.source == "mnist":
        test = load_mnist(args.data_dir).test
        return test.images, test.labels, test.images.astype(np.float32) / 255.0, None
    glyphs, labels, names = font_digits(args.fonts_dir, held_out=True)
    images, labels = handwritten_variants(glyphs, labels, FONT_VARIANTS, seed=args.seed)
    return images, labels, as_mnist(images), np.repeat(names, FONT_VARIANTS)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, epilog=WHERE_MNIST_COMES_FROM,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULT_MODEL, help="shipped preset name or model folder")
    parser.add_argument("--source", default="mnist", choices=["mnist", "fonts"],
                        help="draw MNIST test digits, or the held-out handwriting fonts' digits")
    parser.add_argument("--data-dir", help="MNIST folder (default: $MNIST_DATA_DIR)")
    parser.add_argument("--fonts-dir", help="handwriting fonts folder (default: $DIGIT_FONTS_DIR or artifacts/fonts)")
    parser.add_argument("--per-kind", type=int, default=300, help="canvases of each kind")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--kinds", nargs="*", default=list(KINDS), choices=KINDS)
    parser.add_argument("--save-failures", help="folder to write the canvases the pipeline got wrong")
    parser.add_argument("--against", metavar="MODEL", help="a second model read on the same canvases, compared canvas by canvas")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    images, labels, as_mnist_made, font_names = source_digits(args)
    predictor = Predictor(args.model)
    against = Predictor(args.against) if args.against else None
    # The model on the source digits as MNIST made them: read once, for every kind's canvases.
    read_right = predictor.probabilities(as_mnist_made).argmax(axis=1) == labels
    failures_dir = Path(args.save_failures) if args.save_failures else None
    if failures_dir:
        failures_dir.mkdir(parents=True, exist_ok=True)

    results = {}
    for kind in args.kinds:
        # Seeded by the kind, not its place in --kinds: a kind's canvases are the same in any run.
        samples = make_samples(images, labels, args.per_kind, kind, seed=args.seed + KINDS.index(kind))
        right = naive_right = unsure = not_digit = 0
        only_model_right = only_against_right = 0
        started = time.perf_counter()
        for number, sample in enumerate(samples):
            reading = predictor.read(sample.image, multi=kind in STRIP_GAPS)
            answer = reading.text  # "" when nothing is drawn
            unsure += reading.status in (UNSURE, NOT_DIGIT)  # not read as a digit, whatever the reason
            not_digit += reading.status == NOT_DIGIT  # of those, taken for no digit at all
            if against is not None:
                against_right = against.read(sample.image, multi=kind in STRIP_GAPS).text == sample.expected
                only_model_right += answer == sample.expected and not against_right
                only_against_right += against_right and answer != sample.expected
            if answer == sample.expected:
                right += 1
            elif failures_dir:
                fonts = "" if font_names is None else "".join(f"-{font_names[i]}" for i in sample.sources)
                name = f"{kind}-{number}{fonts}-{sample.style}-expected{sample.expected or 'empty'}-got{answer or 'empty'}.png"
                image = sample.image if sample.image.shape[2] == 3 else sample.image[..., [3, 3, 3]]
                cv2.imwrite(str(failures_dir / name), image)
            if kind in SINGLE_KINDS:
                naive_right += naive_answer(predictor, sample.image) == sample.expected
        results[kind] = {
            "canvases": len(samples),
            "pipeline_accuracy": right / len(samples),
            "pipeline_interval_95": wilson_interval(right, len(samples)),
            "unsure": unsure / len(samples),
            "not_digit": not_digit / len(samples),
            "naive_resize_accuracy": naive_right / len(samples) if kind in SINGLE_KINDS else None,
            "model_on_originals_accuracy": originals_accuracy(read_right, samples),
            "ms_per_canvas": 1000 * (time.perf_counter() - started) / len(samples),
        }
        if against is not None:
            results[kind]["against"] = {
                "accuracy": (right - only_model_right + only_against_right) / len(samples),
                "only_model_right": only_model_right, "only_against_right": only_against_right,
                "mcnemar_p": mcnemar_p(only_model_right, only_against_right)}

    if args.json:
        print(json.dumps({"model": str(predictor.folder), **({"against": str(against.folder)} if against else {}), "source": args.source, "per_kind": args.per_kind,
                          "seed": args.seed, "results": results}))
        return
    print(f"model {predictor.folder}, {args.source} digits, {args.per_kind} canvases per kind, seed {args.seed}")
    print(f"{'kind':<14} {'pipeline':>9} {'95% interval':>15} {'unsure':>7} {'not digit':>10} {'naive resize':>13} {'originals':>16}")
    for kind, result in results.items():
        naive, originals = result["naive_resize_accuracy"], result["model_on_originals_accuracy"]
        low, high = result["pipeline_interval_95"]
        print(
            f"{kind:<14} {result['pipeline_accuracy']:>9.2%} {f'{low:.2%}-{high:.2%}':>15} {result['unsure']:>7.1%} {result['not_digit']:>10.1%} "
            f"{(f'{naive:.2%}' if naive is not None else '-'):>13} "
            f"{(f'{originals:.2%}' if originals is not None else '-'):>16}"
        )
    if against is not None:
        print_comparison(results, against)


def print_comparison(results: dict, against: Predictor) -> None:
    """The paired table: each kind's two accuracies, the canvases only one model read right, the
    exact McNemar p, and the same over all kinds' canvases together."""
    print(f"\nagainst {against.folder}, on the same canvases")
    print(f"{'kind':<14} {'model':>8} {'against':>8} {'only model right':>17} {'only against right':>19} {'McNemar p':>10}")
    rows = [(kind, result["canvases"], result["pipeline_accuracy"], result["against"]) for kind, result in results.items()]
    canvases = sum(count for _, count, _, _ in rows)
    only_model = sum(paired["only_model_right"] for *_, paired in rows)
    only_against = sum(paired["only_against_right"] for *_, paired in rows)
    model_right = sum(count * accuracy for _, count, accuracy, _ in rows)
    rows.append(("all kinds", canvases, model_right / canvases, {
        "accuracy": (model_right - only_model + only_against) / canvases, "only_model_right": only_model,
        "only_against_right": only_against, "mcnemar_p": mcnemar_p(only_model, only_against)}))
    for kind, _, accuracy, paired in rows:
        print(f"{kind:<14} {accuracy:>8.2%} {paired['accuracy']:>8.2%} {paired['only_model_right']:>17} "
              f"{paired['only_against_right']:>19} {paired['mcnemar_p']:>10.2f}")


if __name__ == "__main__":
    try:
        main()
    except (FileNotFoundError, ValueError) as error:  # missing data or model: a message, not a traceback
        sys.exit(f"{Path(__file__).name}: {error}")
