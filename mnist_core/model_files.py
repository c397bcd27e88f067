"""Open a model.keras that may come from anyone: its size and its weights' storage are checked
before anything is inflated or read.

A .keras file is a zip of config.json, metadata.json and model.weights.h5 (HDF5). Unchecked, a
1.5 MB zip inflates to gigabytes, and HDF5 can keep a dataset's values in another file
("external storage", external links, virtual datasets), which makes loading the weights read any
file on the server (/etc/passwd) or an endless device. The checks here read only the zip's
directory and the HDF5 file's metadata.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import h5py

MODEL_MEMBERS = {"config.json", "metadata.json", "model.weights.h5"}  # what Keras 3 writes, nothing else
MAX_MODEL_BYTES = 200 * 2**20  # inflated, all members; the largest shipped model is 2.4 MB
MAX_CONFIG_BYTES = 4 * 2**20  # the shipped ensemble's config is 50 KB
MAX_COMPRESSION_RATIO = 50  # float weights hardly compress (~1.1x); megabytes of zeros do 1000x
MAX_WEIGHT_OBJECTS = 10_000  # groups and datasets; the shipped ensemble has a few hundred
SAFE_FILTERS = {
    h5py.h5z.FILTER_DEFLATE, h5py.h5z.FILTER_SHUFFLE, h5py.h5z.FILTER_FLETCHER32, h5py.h5z.FILTER_LZF,
}  # built in: others would make HDF5 load a plugin library from disk


def read_model_file(path: str | Path) -> tuple[dict, h5py.File]:
    """model.keras -> (its config, its weights file opened in memory), both checked;
    ValueError naming what is wrong (zipfile.BadZipFile, OSError for an unreadable file)."""
    with zipfile.ZipFile(path) as archive:
        check_members(archive.infolist())
        config = json.loads(archive.read("config.json"))
        weights_file = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
    try:
        check_weights_file(weights_file)
    except BaseException:
        weights_file.close()
        raise
    return config, weights_file


def check_members(members: list[zipfile.ZipInfo]) -> None:
    """The zip's directory -> nothing; ValueError if inflating it would cost too much or it holds
    other files than a model's. (zipfile never inflates a member past its declared size.)"""
    names = [member.filename for member in members]
    if sorted(names) != sorted(set(names)) or not {"config.json", "model.weights.h5"} <= set(names) <= MODEL_MEMBERS:
        raise ValueError(f"it holds {', '.join(sorted(names)) or 'nothing'}, not a Keras model's files")
    total = sum(member.file_size for member in members)
    if total > MAX_MODEL_BYTES:
        raise ValueError(f"it would inflate to {total / 2**20:,.0f} MB; the limit is {MAX_MODEL_BYTES // 2**20} MB")
    config = next(member for member in members if member.filename == "config.json")
    if config.file_size > MAX_CONFIG_BYTES:
        raise ValueError(f"its config.json is {config.file_size / 2**20:,.0f} MB; the limit is {MAX_CONFIG_BYTES // 2**20} MB")
    for member in members:
        if member.file_size > 2**20 and member.file_size > MAX_COMPRESSION_RATIO * member.compress_size:
            raise ValueError(
                f"its {member.filename} is compressed {member.file_size // max(member.compress_size, 1):,} to 1; "
                "model weights hardly compress"
            )


def check_weights_file(weights_file: h5py.File) -> None:
    """An HDF5 file -> nothing; ValueError if any value would be read from outside it (links to
    other places, external storage, virtual datasets), through a plugin filter, or if its
    datasets would take more than MAX_MODEL_BYTES in memory."""
    problems: list[str] = []
    total = 0
    count = 0

    def visit(name: str, link) -> bool | None:
        nonlocal total, count
        count += 1
        weight = name.replace("/", ".")  # layers.dense.vars.0: not to be mistaken for a path on disk
        if count > MAX_WEIGHT_OBJECTS:
            problems.append(f"it holds over {MAX_WEIGHT_OBJECTS:,} objects")
        elif not isinstance(link, h5py.HardLink):
            problems.append(f"its weight {weight} is a link to somewhere else")
        elif isinstance(dataset := weights_file[name], h5py.Dataset):
            problem = dataset_problem(dataset)
            total += dataset.size * dataset.dtype.itemsize
            if problem:
                problems.append(f"its weight {weight} {problem}")
            elif total > MAX_MODEL_BYTES:
                problems.append(f"its weights would take over {MAX_MODEL_BYTES // 2**20} MB")
        return True if problems else None  # anything but None stops the walk

    weights_file.visititems_links(visit)  # links are listed, never followed out of the file
    if problems:
        raise ValueError(problems[0])


def dataset_problem(dataset: h5py.Dataset) -> str | None:
    """What makes reading this dataset unsafe, or None."""
    if dataset.external:
        return "is stored in another file"
    if dataset.is_virtual:
        return "is a virtual dataset (made of other files)"
    if dataset.dtype.kind not in "fiu":
        return f"holds {dataset.dtype}, not numbers"
    creation = dataset.id.get_create_plist()
    if any(creation.get_filter(index)[0] not in SAFE_FILTERS for index in range(creation.get_nfilters())):
        return "needs a decompression plugin"
    return None
