"""The MNIST loader reads real IDX files and names the file and the fault when one is bad."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import FIXTURE_MNIST, PROJECT_ROOT

from mnist_core.data import load_from_dir, load_mnist

OFFICIAL_MD5 = {  # of the uncompressed files, from the MNIST folder's README
    "train-images-idx3-ubyte.gz": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte.gz": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
}


@pytest.fixture
def data_copy(tmp_path):
    """A writable copy of the small IDX fixture, uncompressed, to damage in each test."""
    for source in FIXTURE_MNIST.glob("*.gz"):
        (tmp_path / source.stem).write_bytes(gzip.decompress(source.read_bytes()))
    return tmp_path


def test_reads_gzipped_and_plain_idx_files_alike(data_copy):
    zipped = load_from_dir(FIXTURE_MNIST)
    plain = load_from_dir(data_copy)
    assert zipped.train.images.shape == (600, 28, 28) and zipped.test.images.shape == (300, 28, 28)
    assert zipped.train.images.dtype == np.uint8 and set(np.unique(zipped.test.labels)) == set(range(10))
    np.testing.assert_array_equal(zipped.test.images, plain.test.images)
    np.testing.assert_array_equal(zipped.train.labels, plain.train.labels)


def test_wrong_magic_names_the_file(data_copy):
    path = data_copy / "t10k-images-idx3-ubyte"
    content = bytearray(path.read_bytes())
    content[3] = 0x01  # 2049, the labels' magic, in an images file
    path.write_bytes(bytes(content))
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte.*wrong magic number 2049"):
        load_from_dir(data_copy)


def test_truncated_gzip_is_reported(tmp_path):
    for source in FIXTURE_MNIST.glob("*.gz"):
        shutil.copy(source, tmp_path / source.name)
    damaged = tmp_path / "train-labels-idx1-ubyte.gz"
    damaged.write_bytes(damaged.read_bytes()[:-20])
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte\.gz.*corrupt or truncated"):
        load_from_dir(tmp_path)


def test_count_mismatch_between_header_and_content(data_copy):
    path = data_copy / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[: -28 * 28])  # one image short of what the header says
    with pytest.raises(ValueError, match=r"t10k-images.*truncated or count mismatch"):
        load_from_dir(data_copy)


def test_images_and_labels_of_different_lengths(data_copy):
    path = data_copy / "t10k-labels-idx1-ubyte"
    content = path.read_bytes()
    path.write_bytes((2049).to_bytes(4, "big") + (299).to_bytes(4, "big") + content[8:-1])
    with pytest.raises(ValueError, match=r"300 images but .*299 labels"):
        load_from_dir(data_copy)


def test_label_out_of_range(data_copy):
    path = data_copy / "train-labels-idx1-ubyte"
    content = bytearray(path.read_bytes())
    content[8 + 17] = 12
    path.write_bytes(bytes(content))
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte: label 12 at index 17 is outside 0-9"):
        load_from_dir(data_copy)


def test_missing_folder_or_file_says_how_to_fix_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="MNIST_DATA_DIR"):
        load_mnist(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match=r"train-images-idx3-ubyte\(\.gz\) not found.*--data-dir"):
        load_mnist(tmp_path)


def test_no_folder_given_says_how_to_give_one_and_downloads_nothing():
    # A fresh process, as a script would run: it must not reach for keras.datasets' download.
    environment = {key: value for key, value in os.environ.items() if key != "MNIST_DATA_DIR"}
    run = subprocess.run(
        [sys.executable, "-c", "from mnist_core.data import load_mnist; load_mnist()"],
        cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode != 0
    assert "FileNotFoundError" in run.stderr and "MNIST_DATA_DIR" in run.stderr
    assert "Downloading" not in run.stdout + run.stderr


def test_full_dataset_matches_the_official_files(mnist_dir):
    mnist = load_mnist(mnist_dir)
    assert mnist.train.images.shape == (60000, 28, 28) and mnist.test.images.shape == (10000, 28, 28)
    assert mnist.checksums == OFFICIAL_MD5
    assert np.bincount(mnist.test.labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
