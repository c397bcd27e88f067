"""scripts/export_drawings.py end to end: the answers come back through MNIST's IDX parser, on both backends."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import FIXTURE_MNIST, PROJECT_ROOT
from PIL import Image

from mnist_core.data import load_split
from mnist_core.drawings import drawing_png, open_store
from mnist_core.drawings.idx import load_drawings_idx

EXPORT = [sys.executable, str(PROJECT_ROOT / "scripts" / "export_drawings.py")]
MNIST_DIGITS = load_split(FIXTURE_MNIST, "test")
PNG = drawing_png(np.full((320, 320), 255, np.uint8))


def run_export(database_url: str, *arguments: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DRAWINGS_DB": database_url}
    return subprocess.run(
        [*EXPORT, *arguments], check=False, capture_output=True, text=True, timeout=120, env=environment
    )


def read_csv(path) -> list[dict]:
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def test_the_export_reads_back_through_the_idx_parser(database_url, tmp_path):
    store = open_store(database_url)
    try:
        images = MNIST_DIGITS.images

        def answer(labels: str, model_text: str, first: int) -> int:
            digits = [(images[first + i], int(d), 0.5 + i / 10) for i, d in enumerate(model_text)]
            return store.add_answer("visitor", "cnn-ensemble", PNG, digits, labels)

        first = answer("71", "11", first=0)
        hidden = answer("3", "3", first=2)
        store.hide(hidden)
        store.start_round()
        last = answer("450", "459", first=3)
    finally:
        store.close()

    result = run_export(database_url, "--out", str(tmp_path / "all"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"exported 5 digits of 2 drawings to {tmp_path / 'all'}"
    exported = load_drawings_idx(tmp_path / "all")
    assert np.array_equal(exported.images, images[[0, 1, 3, 4, 5]])
    assert exported.labels.tolist() == [7, 1, 4, 5, 0]
    rows = read_csv(tmp_path / "all" / "drawings.csv")
    assert [(r["index"], r["drawing_id"], r["position"], r["round"]) for r in rows] == [
        ("1", str(first), "0", "1"), ("2", str(first), "1", "1"),
        ("3", str(last), "0", "2"), ("4", str(last), "1", "2"), ("5", str(last), "2", "2"),
    ]  # fmt: skip
    assert [(r["label"], r["predicted"], r["model"]) for r in rows][3:] == [
        ("5", "5", "cnn-ensemble"),
        ("0", "9", "cnn-ensemble"),
    ]
    assert float(rows[1]["confidence"]) == pytest.approx(0.6)
    files = read_csv(tmp_path / "all" / "labels.csv")
    assert [f["file"] for f in files][:2] == ["digits/000001-7.png", "digits/000002-1.png"]
    for entry, image in zip(files, exported.images, strict=True):
        assert np.array_equal(np.asarray(Image.open(tmp_path / "all" / entry["file"])), image)

    result = run_export(database_url, "--out", str(tmp_path / "first-round"), "--round", "1", "--include-hidden")
    assert result.returncode == 0, result.stderr
    exported = load_drawings_idx(tmp_path / "first-round")
    assert exported.labels.tolist() == [7, 1, 3] and np.array_equal(exported.images, images[[0, 1, 2]])


def test_bad_arguments_and_databases_get_plain_messages(tmp_path):
    url = f"sqlite:///{tmp_path / 'drawings.sqlite3'}"
    (tmp_path / "a-file").write_text("")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "old.csv").write_text("")
    corrupt = tmp_path / "corrupt.sqlite3"
    corrupt.write_bytes(b"not a database" * 500)
    cases = [
        (url, ["--out", str(tmp_path / "out"), "--round", "0"], 2, "must be a round number"),
        (url, [], 2, "the following arguments are required: --out"),
        (url, ["--out", str(tmp_path / "a-file")], 1, "is a file: give a folder"),
        (url, ["--out", str(tmp_path / "full")], 1, "is not empty"),
        (url, ["--out", str(tmp_path / "out"), "--round", "5"], 1, "there is no round 5: the latest is round 1"),
        (url, ["--out", str(tmp_path / "out")], 1, "the database has no answers to export yet"),
        ("mysql://app@db/drawings", ["--out", str(tmp_path / "out")], 1, "must be SQLite or PostgreSQL"),
        (f"sqlite:///{corrupt}", ["--out", str(tmp_path / "out")], 1, f"{corrupt} is not a readable SQLite database"),
    ]
    for database, arguments, exit_code, complaint in cases:
        result = run_export(database, *arguments)
        assert (result.returncode, result.stdout) == (exit_code, ""), (arguments, result.stderr)
        assert complaint in result.stderr and "Traceback" not in result.stderr, (arguments, result.stderr)
    assert not (tmp_path / "out").exists()


def test_help_answers_without_loading_a_database_driver_or_tensorflow():
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *EXPORT[1:], "--help"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "--include-hidden" in result.stdout
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in result.stderr.splitlines()}
    assert not imported & {"tensorflow", "keras", "sqlalchemy", "numpy"}
