"""Search an MLP's hyperparameters with Keras Tuner (Hyperband), then retrain the best on all 60,000
training digits and write its model folder (models/mlp-tuned), as train.py writes a preset's.

    python scripts/tune.py --family mlp                                 # 25 minutes, then the retrain
    python scripts/tune.py --family mlp --max-minutes 5 --out /tmp/mlp-quick
    python scripts/tune.py --family mlp --limit 600 --max-trials 2 --max-epochs 2 --out /tmp/tiny

The search trains on the first 90% of the training digits and scores each trial by its best
validation accuracy on the last 10% (never the test set). Hyperband (mnist_core/tuning.py) tries
many configurations for a few epochs and trains the best on for more. Every trial's hyperparameters,
per-epoch curves and score go into metrics.json's `tuning`; the best hyperparameters are then
trained again from scratch on all the training digits for the epoch count its trial peaked at, and
scored on the 10,000 test digits. Keras Tuner's own files go to a scratch folder, removed at the end
unless --keep-search.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from mnist_core import artifacts
from mnist_core.config import DATA_DIR_ENV, MODELS_DIR, data_dir_from_env
from mnist_core.data import WHERE_MNIST_COMES_FROM, load_mnist, to_model_input
from mnist_core.tuning_record import chained_history, hidden_units

# Keras and Keras Tuner are imported once the arguments are checked: --help and a mistake skip their seconds.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
FAMILIES = ["mlp"]  # the networks a search can shape (mnist_core/tuning.py)
VALIDATION_SHARE = 0.1  # as the seed presets hold out
DEFAULT_MAX_EPOCHS = 15


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=WHERE_MNIST_COMES_FROM,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--family", required=True, choices=FAMILIES, help="the kind of network to tune")
    parser.add_argument("--max-trials", type=int, help="start no trial after this many (default: Hyperband's plan)")
    parser.add_argument("--max-minutes", type=float, default=25.0,
                        help="start no trial after this many minutes of search; a running one stops at its epoch's end")
    parser.add_argument("--max-epochs", type=int, default=DEFAULT_MAX_EPOCHS,
                        help="the most epochs a trial trains (Hyperband's max_epochs; the learning rate decays over them)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data-dir", help="folder of the four MNIST IDX files (default: $MNIST_DATA_DIR)")
    parser.add_argument("--out", help="model folder to write (default: models/<family>-tuned)")
    parser.add_argument("--limit", type=int, help="use the first N training images only (quick runs)")
    parser.add_argument("--keep-search", action="store_true", help="keep Keras Tuner's working folder (its path is printed)")
    return parser


def checked_arguments(argv) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.max_trials is not None and args.max_trials < 1:
        parser.error("--max-trials must be at least 1")
    if args.max_minutes <= 0 or args.max_epochs < 1:
        parser.error("--max-minutes must be above 0 and --max-epochs at least 1")
    return parser, args


def main(argv=None) -> None:
    parser, args = checked_arguments(argv)
    out = Path(args.out) if args.out else MODELS_DIR / f"{args.family}-tuned"
    mnist = load_mnist(args.data_dir)

    import keras
    import train  # scripts/: the same schedule, test report, records and folder writing as a trained preset

    from mnist_core.training_log import EpochSeconds
    from mnist_core.tuning import BudgetedHyperband, EpochProgress, mlp_network

    images, labels = mnist.train.images, mnist.train.labels
    if args.limit:
        images, labels = images[: args.limit], labels[: args.limit]
    x, x_test, y_test = to_model_input(images), to_model_input(mnist.test.images), mnist.test.labels
    held_out = max(1, round(len(x) * VALIDATION_SHARE))
    search_data = {"x": x[:-held_out], "y": labels[:-held_out], "validation_data": (x[-held_out:], labels[-held_out:])}
    print(f"data: the search trains on {len(x) - held_out} and validates on {held_out} training digits; "
          f"the retrain uses all {len(x)}; {len(x_test)} test digits from {mnist.source}", flush=True)

    # The search, in a scratch folder: Keras Tuner writes every trial's checkpoint there.
    search_folder = Path(tempfile.mkdtemp(prefix="tune-search-"))
    try:
        keras.utils.set_random_seed(args.seed)
        tuner = BudgetedHyperband(
            budget_seconds=args.max_minutes * 60, max_trials=args.max_trials,
            schedule=lambda peak: train.one_cycle(peak, args.max_epochs),
            max_epochs=args.max_epochs, seed=args.seed, directory=str(search_folder), project_name=args.family,
            overwrite=True,
        )
        print(f"searching: Hyperband, up to {len(tuner.plan)} trials of up to {args.max_epochs} epochs, "
              f"{args.max_minutes:g} min at most", flush=True)
        tuner.search(**search_data, callbacks=[EpochSeconds()], verbose=0)
        search_seconds = tuner.elapsed()
        tuning = tuner.record()
    finally:
        if args.keep_search:
            print(f"Keras Tuner's folder kept: {search_folder}")
        else:
            shutil.rmtree(search_folder, ignore_errors=True)
    best = tuning["best"]
    print(f"search: {len(tuning['trials'])} trials in {search_seconds / 60:.1f} min (stopped by {tuning['stopped_by']}); "
          f"best: trial {best['trial']}, val_accuracy {best['score']:.2%} at epoch {best['epochs']}, "
          f"{best['hyperparameters']}", flush=True)

    # The best hyperparameters trained again from scratch on every training digit, as long as its trial needed.
    keras.utils.set_random_seed(args.seed)
    hp = tuner.oracle.get_trial(best["trial"]).hyperparameters
    model = tuner.hypermodel.build(hp)
    started = time.perf_counter()
    fitted = tuner.hypermodel.fit(hp, model, x, labels, epochs=best["epochs"], verbose=0,
                                  callbacks=[EpochSeconds(), EpochProgress("retraining on all training digits")])
    training_seconds = time.perf_counter() - started

    # history.json: the retrain's training curves; it held nothing out, so its validation curves are
    # those of the search's best trial (same hyperparameters, 90% of the digits) up to the same epoch.
    validation = chained_history(tuning, best["trial"])
    history_record = {key: [float(value) for value in values] for key, values in fitted.history.items()}
    history_record.update({key: validation[key][: best["epochs"]] for key in ("val_loss", "val_accuracy")})

    data_folder = train.repository_path(args.data_dir or data_dir_from_env(), f"${DATA_DIR_ENV}")
    recorded = {**vars(args), "data_dir": data_folder, "out": train.model_folder_path(out)}
    command = train.typed_command(parser, recorded, script="scripts/tune.py")
    metrics = {
        "preset": out.name,
        "origin": "Keras Tuner search",
        "claimed_accuracy": "target >= 98.3%",
        "parameters": int(model.count_params()),
        "training_seconds": training_seconds,
        "epochs": best["epochs"],
        "batch_size": best["hyperparameters"]["batch_size"],
        "train_images": len(x),
        "font_digits": 0,
        "training_fonts": [],
        "redrawn_share": 0.0,
        "validation_images": 0,  # the retrain held none out: the search did (tuning.validation_images)
        "arguments": recorded,
        "command": command,
        "data_source": f"MNIST (four IDX files from {data_folder})",
        "data_checksums_md5": mnist.checksums,
        "versions": {**train.library_versions(), "keras_tuner": tuner_version()},
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "layers": train.layer_table(model),
        "tuning": {**tuning, "search_seconds": search_seconds, "train_images": len(x) - held_out,
                   "validation_images": held_out, "command": command},
    }

    def write_contents(folder: Path) -> None:
        print(f"saving to {out}", flush=True)
        inference_model = mlp_network(best["hyperparameters"])  # a fresh build: no optimizer state shipped
        inference_model.set_weights(model.get_weights())
        scores = train.write_model_files(folder, inference_model, history_record, metrics,
                                         (x_test, y_test, mnist.test.images), (images, labels))
        print(f"test accuracy {scores['test_accuracy']:.4%}, loss {scores['test_loss']:.4f}, "
              f"{training_seconds:.0f} s retraining", flush=True)

    artifacts.write_model_folder(out, write_contents)
    print(f"saved {out}: {'-'.join(map(str, hidden_units(best['hyperparameters'])))} units")


def tuner_version() -> str:
    import keras_tuner

    return keras_tuner.__version__


if __name__ == "__main__":
    try:
        main()
    except (FileNotFoundError, ValueError) as error:  # missing data, or a search with no trial done: a message
        sys.exit(f"{Path(__file__).name}: {error}")
