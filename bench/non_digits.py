"""How often drawings that are no digit are refused: answered not_digit, unsure or empty, not a digit.

    python bench/non_digits.py --drawings 3000 --seed 31

Drawings come from mnist_core.non_digits (scribbles, zigzags, loops, letters, shapes, strokes); use
another seed than the ones scripts/calibrate.py trained the detector on (1001, and 1002 for its extra scribbles and strokes) and reported on (7). Each is read as the
app reads (multi) and as scripts/predict.py does by default (one digit).
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

from mnist_core.config import DEFAULT_MODEL
from mnist_core.non_digits import make_non_digits
from mnist_core.predictor import OK, Predictor


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--drawings", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=31)
    args = parser.parse_args(argv)

    predictor = Predictor(args.model)
    refused: dict[str, dict[str, list[bool]]] = {"multi": collections.defaultdict(list), "single": collections.defaultdict(list)}
    statuses: collections.Counter = collections.Counter()
    for drawing in make_non_digits(args.drawings, seed=args.seed):
        for mode, multi in (("multi", True), ("single", False)):
            status = predictor.read(drawing.image, multi=multi).status
            refused[mode][drawing.kind].append(status != OK)
            statuses[mode, status] += 1
    report = {
        mode: {"all": sum(map(sum, kinds.values())) / args.drawings,
               **{kind: sum(values) / len(values) for kind, values in kinds.items()}}
        for mode, kinds in refused.items()
    }
    report["statuses"] = {f"{mode} {status}": count for (mode, status), count in sorted(statuses.items())}
    print(json.dumps({"model": str(predictor.folder), "drawings": args.drawings, "seed": args.seed, "refused": report}, indent=1))


if __name__ == "__main__":
    try:
        main()
    except (FileNotFoundError, ValueError) as error:
        sys.exit(f"{Path(__file__).name}: {error}")
