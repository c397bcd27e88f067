"""Fine-tune a trained model on people's labelled drawings, without forgetting MNIST: a new model folder.

    python scripts/finetune.py --data exports/round-2                 # an export_drawings.py folder
    python scripts/finetune.py --data my-digits/                      # images listed in labels.csv (file,label)
    python scripts/finetune.py --data db --round 3                    # the app's answers database ($DRAWINGS_DB)
    python scripts/finetune.py --from cnn --data sqlite:///meetup.sqlite3 --out /tmp/cnn-meetup

--data: a folder of images with labels.csv, a folder of IDX files as scripts/export_drawings.py
writes them, a database URL, or `db` (the app's). Images are normalized by the pipeline the app and
scripts/predict.py use. A share of the drawings is held out to judge the fine-tune; every batch
replays MNIST training digits beside the new ones (docs/finetune.md). The "not sure" and "not a
digit" thresholds are recalibrated (scripts/calibrate.py) when the base model has them, and the
NumPy serving pass is checked against Keras. --out defaults to a new folder
models/<base>-finetuned-<date>; an existing folder is never overwritten, and the folder appears
only once complete (a killed run leaves the models folder as it was).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from mnist_core import artifacts
from mnist_core.config import CALIBRATION_FILE, DEFAULT_MODEL, MODEL_FILE, model_dir, models_dir
from mnist_core.finetune_sources import read_drawings
from mnist_core.not_digit import DETECTOR_FILE
from mnist_core.step_records import read_steps, write_steps

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
PROGRESS_SECONDS = 5.0  # how often progress is printed (and recorded for the app)
DEFAULT_VALIDATION_IMAGES = 3000
# Fewer than calibrate.py's defaults (6,000 canvases and 1,200 non-digits: four minutes on this
# 2-core machine when idle, far more when shared), so that a fine-tune from the wall ends in
# minutes. The base's not-a-digit detector is kept (training one takes 15 minutes); only its
# threshold is chosen again.
CALIBRATION_CANVASES = 1000


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="base", default=DEFAULT_MODEL, help="preset name or model folder to start from")
    parser.add_argument("--data", required=True, metavar="SOURCE", help="images folder, IDX folder, database URL or db")
    parser.add_argument("--round", type=int, help="with a database: only this round's answers")
    parser.add_argument("--out", help="new model folder (default: models/<base>-finetuned-<date>)")
    parser.add_argument("--epochs", type=int, help="passes over the new drawings (default: 4)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data-dir", help="MNIST folder, for replay and judging (default: $MNIST_DATA_DIR)")
    parser.add_argument("--calibration-canvases", type=int, default=CALIBRATION_CANVASES,
                        help="drawn canvases the thresholds are calibrated on (a tenth as many non-digits)")
    parser.add_argument("--job", type=int, help=argparse.SUPPRESS)  # the app's job id: progress goes to the database
    parser.add_argument("--background", action="store_true",
                        help="yield the CPU to everything else (the app serving drawers): lowest priority, one core")
    return parser


def new_folder_name(base: str, today: datetime.date) -> Path:
    """models/<base>-finetuned-<date>, or -2, -3... after it: a folder that does not exist yet."""
    stem = models_dir() / f"{base}-finetuned-{today.isoformat()}"
    candidate, number = stem, 1
    while candidate.exists() or candidate.with_name(candidate.name + ".previous").exists():
        number += 1
        candidate = stem.with_name(f"{stem.name}-{number}")
    return candidate


def output_folder(out: str | None, base_name: str) -> Path:
    """--out, checked to be new; else a new folder under models/."""
    if out is None:
        return new_folder_name(base_name, datetime.datetime.now(datetime.UTC).date())
    path = Path(out)
    if path.exists():
        raise ValueError(f"--out {path.name} already exists: a fine-tune never overwrites a model, give a new folder")
    return path


class Job:
    """The app's record of this fine-tune (--job): progress, then done or failed; without --job, nothing."""

    def __init__(self, job_id: int | None):
        self.id = job_id
        if job_id is not None:
            from mnist_core.drawings import open_store

            self.store = open_store()

    def progress(self, fraction: float, message: str) -> None:
        if self.id is not None:
            self.store.update_job(self.id, fraction, message)

    def done(self, out: Path, result: dict) -> None:
        if self.id is not None:
            from mnist_core.drawings import DONE

            self.store.finish_job(self.id, DONE, f"saved {out.name}", model_name=out.name, result=result)

    def failed(self, message: str) -> None:
        if self.id is not None:
            from mnist_core.drawings import FAILED

            self.store.finish_job(self.id, FAILED, message)


class ProgressReport:
    """Prints steps done with an ETA every PROGRESS_SECONDS, and records them on the job."""

    def __init__(self, job: Job):
        self.job = job
        self.shown = -PROGRESS_SECONDS

    def __call__(self, step: int, steps: int, seconds: float) -> None:
        if seconds - self.shown < PROGRESS_SECONDS and step < steps:
            return
        self.shown = seconds
        eta = seconds / step * (steps - step)
        # Training is about 0.1-0.9 of the whole run; loading before, judging and calibrating after.
        self.phase(0.1 + 0.8 * step / steps, f"fine-tuning: step {step} of {steps} ({step / steps:.0%}), "
                                             f"{seconds:.0f} s so far, about {eta:.0f} s left")

    def phase(self, fraction: float, message: str) -> None:
        print(message, flush=True)
        self.job.progress(fraction, message)


def yield_the_cpu() -> None:
    """Lowest priority, for this process and its scheduling group: Linux's autogroup schedules each
    session as one group, and a process started in a new session (as the app starts this one) would
    otherwise get as much CPU as the whole app, whatever its nice value."""
    os.nice(19 - os.nice(0))
    try:
        Path("/proc/self/autogroup").write_text("19")
    except OSError:  # no autogroup (another OS, or turned off): nice alone counts then
        pass


def stop_on_terminate(signum, frame) -> None:
    """SIGTERM (the app or a supervisor stopping it) unwinds like an error: scratch folders are removed."""
    raise SystemExit("stopped (SIGTERM) before it finished: nothing was written")


def main(argv=None) -> Path:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, stop_on_terminate)
    if args.background:
        yield_the_cpu()
    job = Job(args.job)
    try:
        out, result = fine_tune_into_folder(args, ProgressReport(job))
    except BaseException as error:
        job.failed(str(error) or type(error).__name__)
        raise
    job.done(out, result)
    return out


def fine_tune_into_folder(args: argparse.Namespace, progress: ProgressReport) -> tuple[Path, dict]:
    """The whole run -> the new model folder and its before/after figures."""
    base = model_dir(args.base)
    artifacts.model_file(base)  # a missing base model is said before anything is read
    out = output_folder(args.out, base.name)
    drawings = read_drawings(args.data, args.round)
    for problem in drawings.skipped:
        print(f"skipped: {problem}", flush=True)
    started = time.perf_counter()

    # Imported once the inputs are checked: a refusal is said at once, without TensorFlow's seconds.
    import calibrate  # scripts/: the same thresholds, by the same code, as for a trained model
    import train

    from mnist_core.data import load_mnist, to_model_input
    from mnist_core.finetune import (
        Settings,
        accuracy,
        continued_history,
        continued_steps,
        fine_tune,
        split_held_out,
        use_one_core,
    )

    if args.background:
        use_one_core()  # the other core stays the app's

    base_metrics, base_history = artifacts.read_metrics(base), artifacts.read_history(base)
    model = artifacts.load_keras_model(base)
    mnist = load_mnist(args.data_dir)
    # MNIST's validation digits, as the base held them out (a small MNIST sample: a fifth of it).
    validation_images = min(int(base_metrics.get("validation_images") or DEFAULT_VALIDATION_IMAGES),
                            len(mnist.train.labels) // 5)
    replay = (to_model_input(mnist.train.images[:-validation_images]), mnist.train.labels[:-validation_images])
    validation = (to_model_input(mnist.train.images[-validation_images:]), mnist.train.labels[-validation_images:])
    x_test, y_test = to_model_input(mnist.test.images), mnist.test.labels
    learn, held = split_held_out(drawings.labels, args.seed)
    new = (to_model_input(drawings.images[learn]), drawings.labels[learn])
    held_out = (to_model_input(drawings.images[held]), drawings.labels[held])
    settings = Settings(seed=args.seed, **({"epochs": args.epochs} if args.epochs else {}))
    progress.phase(0.0, f"{len(learn)} drawings to learn from, {len(held)} held out to judge, from {drawings.source}; "
                        f"base model {base.name}")
    before = {"held_out_accuracy": accuracy(model, *held_out), "test_accuracy": base_metrics["test_accuracy"]}

    tuned_history, tuned_steps = fine_tune(model, new, replay, validation, held_out, settings, progress)
    after_held_out = accuracy(model, *held_out)
    seconds = time.perf_counter() - started

    with tempfile.TemporaryDirectory(prefix="finetune-") as work:
        work = Path(work)
        for layer in model.layers:  # saved as the base was: nothing frozen for whoever fine-tunes it next
            layer.trainable = True
        scores, mistakes, wrong = train.save_and_score(work, model, x_test, y_test)
        train.check_numpy_forward(work / MODEL_FILE, model, mnist.test.images[:200])
        after = {"held_out_accuracy": after_held_out, "test_accuracy": scores["test_accuracy"]}
        progress.phase(0.9, f"held-out drawings {before['held_out_accuracy']:.2%} -> {after['held_out_accuracy']:.2%}, "
                            f"MNIST test {before['test_accuracy']:.2%} -> {after['test_accuracy']:.2%}, {seconds:.0f} s")
        metrics = {
            **{key: value for key, value in base_metrics.items() if key not in ("command", "arguments")},
            **scores,
            "validation_images": validation_images,  # MNIST's last ones: calibrate.py draws its canvases from them
            "finetuned_from": base.name,
            "finetune": {
                "source": drawings.source,
                "drawings": len(drawings.labels),
                "learned_from": len(learn),
                "held_out": len(held),
                "skipped": drawings.skipped,
                "before": before,
                "after": after,
                "seconds": seconds,
                "epochs": settings.epochs,
                "settings": dataclasses.asdict(settings),
                "command": " ".join(["python", "scripts/finetune.py", "--from", base.name, "--data",
                                     args.data if "://" not in args.data else "DATABASE_URL",
                                     *(["--round", str(args.round)] if args.round is not None else []),
                                     "--seed", str(args.seed)]),
            },
            "versions": train.library_versions(),
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        }
        train.write_records(work, continued_history(base_history, tuned_history), metrics, mistakes, wrong, mnist.test.images)
        if steps := continued_steps(base_history, read_steps(base), tuned_steps):
            write_steps(work, steps)
        if (base / CALIBRATION_FILE).is_file():
            progress.phase(0.92, "recalibrating the \"not sure\" and \"not a digit\" thresholds")
            if (base / DETECTOR_FILE).is_file():  # the base's not-a-digit detector, its threshold chosen anew
                shutil.copy2(base / DETECTOR_FILE, work / DETECTOR_FILE)
            calibrate.main(["--model", str(work), "--keep-detector", "--canvases", str(args.calibration_canvases),
                            "--non-digits", str(max(1, args.calibration_canvases // 10)),
                            *(["--data-dir", args.data_dir] if args.data_dir else [])])
        # Everything is made in a scratch folder; only the finished folder is copied next to `out`
        # and swapped in (write_model_folder): a kill at any moment before leaves models/ as it was.
        artifacts.write_model_folder(out, lambda staging: shutil.copytree(work, staging, dirs_exist_ok=True))
    progress.phase(1.0, f"saved {out}")
    return out, {"before": before, "after": after, "drawings": len(drawings.labels), "held_out": len(held),
                 "seconds": time.perf_counter() - started}


if __name__ == "__main__":
    try:
        main()
    except (FileNotFoundError, ValueError) as error:  # bad input, missing data or model: a message, not a traceback
        sys.exit(f"{Path(__file__).name}: {error}")
