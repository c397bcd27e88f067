"""The labelled drawings a fine-tune learns from, read from any of three kinds of source.

- a folder of images with labels.csv (`file,label`, one digit per image): any picture the
  pipeline reads, normalized to a 28x28 model input as scripts/predict.py does;
- a folder holding the IDX pair scripts/export_drawings.py writes (28x28 model inputs already);
- the answers database: a URL (sqlite:///..., postgresql+psycopg://...), or `db` for the one the
  app uses ($DRAWINGS_DB, else data/drawings.sqlite3), optionally one round of it.

Every refusal is a ValueError or FileNotFoundError that says what to fix, before anything is written.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mnist_core.config import IMAGE_SIZE, NUM_CLASSES

LABELS_FILE = "labels.csv"
APP_DATABASE = "db"  # --data db: the answers database the app writes to
MIN_DRAWINGS = 20  # fewer cannot be split into something to learn from and something to judge by
MAX_UNREADABLE_SHARE = 0.1  # more unreadable images than this, and the folder is refused, not trimmed
LISTED_UNREADABLE = 10  # names shown in a message; the rest are counted


@dataclass(frozen=True)
class NewDrawings:
    """Labelled drawings: uint8 (N, 28, 28) model inputs (white ink on black, as MNIST) and uint8 (N,) labels."""

    images: np.ndarray
    labels: np.ndarray
    source: str  # what they were read from, as metrics.json records it (no path of this machine)
    skipped: list[str] = field(default_factory=list)  # images that could not be read, by name and why


def is_database(source: str) -> bool:
    return source == APP_DATABASE or "://" in source


def read_drawings(source: str, round_id: int | None = None) -> NewDrawings:
    """A source (see the module's docstring) -> its labelled drawings; at least MIN_DRAWINGS of them.

    round_id: only that round of a database (ValueError for another kind of source).
    """
    if round_id is not None and not is_database(source):
        raise ValueError("--round only applies to the answers database (--data db or a database URL)")
    if is_database(source):
        drawings = drawings_from_database(None if source == APP_DATABASE else source, round_id)
    else:
        folder = Path(source)
        if not folder.is_dir():
            raise FileNotFoundError(f"{source} is not a folder (nor a database URL, nor `{APP_DATABASE}`)")
        if (folder / LABELS_FILE).is_file():
            drawings = drawings_from_images(folder)
        elif any(folder.glob("*-images-idx3-ubyte*")):
            drawings = drawings_from_idx(folder)
        else:
            raise FileNotFoundError(
                f"{folder.name} holds neither {LABELS_FILE} (one line `file,label` per image) nor the IDX pair "
                "scripts/export_drawings.py writes: add a labels.csv, or point --data at an export"
            )
    if len(drawings.labels) < MIN_DRAWINGS:
        raise ValueError(
            f"{drawings.source} has {len(drawings.labels)} usable drawings: a fine-tune needs at least "
            f"{MIN_DRAWINGS} (some are kept aside to judge it)"
        )
    return drawings


def drawings_from_idx(folder: Path) -> NewDrawings:
    """The IDX pair export_drawings.py writes in folder (checked by MNIST's own reader)."""
    from mnist_core.drawings.idx import load_drawings_idx

    split = load_drawings_idx(folder)
    return NewDrawings(split.images, split.labels, f"IDX files in {folder.name}")


def drawings_from_database(url: str | None, round_id: int | None) -> NewDrawings:
    """Every answered digit (not hidden) of the database at url (None: the app's), of one round or all."""
    from mnist_core.drawings import open_store

    store = open_store(url)
    if round_id is not None and round_id not in {r.id for r in store.rounds()}:
        raise ValueError(f"there is no round {round_id}: the latest is round {store.current_round().id}")
    rows = list(store.export(round_id=round_id))
    images = np.stack([row.model_input for row in rows]) if rows else np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    labels = np.array([row.label for row in rows], np.uint8)
    which = f"round {round_id}" if round_id is not None else "every round"
    return NewDrawings(images, labels, f"the answers database, {which}")


def read_labels_csv(folder: Path) -> list[tuple[str, int]]:
    """folder/labels.csv -> (file, label) rows; ValueError naming the first bad line."""
    rows = []
    with open(folder / LABELS_FILE, newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.reader(handle), start=1):
            if not row or (line == 1 and [cell.strip().lower() for cell in row] == ["file", "label"]):
                continue
            if len(row) != 2:
                raise ValueError(f"{LABELS_FILE} line {line}: expected `file,label`, got {','.join(row)!r}")
            name, label = row[0].strip(), row[1].strip()
            if not (label.isdigit() and int(label) < NUM_CLASSES):
                raise ValueError(f"{LABELS_FILE} line {line}: the label of {name} is {label!r}, not a digit 0-9")
            rows.append((name, int(label)))
    return rows


def model_input_of(image: np.ndarray) -> np.ndarray | None:
    """A picture of one digit, any array the pipeline reads (normalize.to_float_image) -> uint8 (28, 28)
    model input, normalized as the app and scripts/predict.py do; None when it shows no ink."""
    from mnist_core.normalize import image_to_ink, normalize_digit
    from mnist_core.segment import find_digits

    digits = find_digits(image_to_ink(image), multi=False)
    return np.round(normalize_digit(digits[0].ink) * 255).astype(np.uint8) if digits else None


def image_model_input(path: Path) -> np.ndarray:
    """An image file of one digit -> uint8 (28, 28) model input; ValueError naming it if it shows none."""
    from mnist_core.image_io import read_image

    model_input = model_input_of(read_image(path))
    if model_input is None:
        raise ValueError(f"{path.name}: no ink found")
    return model_input


def drawings_from_images(folder: Path) -> NewDrawings:
    """The images labels.csv lists -> their model inputs; unreadable ones skipped and listed, the
    folder refused when more than MAX_UNREADABLE_SHARE of them are."""
    rows = read_labels_csv(folder)
    images, labels, skipped = [], [], []
    root = folder.resolve()
    for name, label in rows:
        path = (folder / name).resolve()
        try:
            if not path.is_relative_to(root):
                raise ValueError(f"{name}: outside the folder")
            images.append(image_model_input(path))
            labels.append(label)
        except (FileNotFoundError, ValueError, OSError) as error:
            skipped.append(str(error))
    if rows and len(skipped) > MAX_UNREADABLE_SHARE * len(rows):
        listed = "; ".join(skipped[:LISTED_UNREADABLE]) + (f"; and {len(skipped) - LISTED_UNREADABLE} more"
                                                           if len(skipped) > LISTED_UNREADABLE else "")
        raise ValueError(f"{len(skipped)} of the {len(rows)} images in {LABELS_FILE} cannot be read: {listed}")
    stacked = np.stack(images) if images else np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    return NewDrawings(stacked, np.array(labels, np.uint8), f"images in {folder.name} ({LABELS_FILE})", skipped)
