"""One shared model answers many threads at once, each with exactly its own answer."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from conftest import FIXTURE_MNIST

from mnist_core.data import load_from_dir
from mnist_core.synthetic import make_samples


def test_concurrent_readings_equal_single_threaded_ones(predictor):
    test = load_from_dir(FIXTURE_MNIST).test
    samples = make_samples(test.images, test.labels, 48, "single", seed=5)
    samples += make_samples(test.images, test.labels, 16, "multi", seed=6)
    multi = [s.kind == "multi" for s in samples]
    expected = [predictor.read(s.image, multi=m) for s, m in zip(samples, multi)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        for _round in range(3):
            got = list(pool.map(lambda pair: predictor.read(pair[0].image, multi=pair[1]), zip(samples, multi)))
            for mine, reference in zip(got, expected):
                assert mine.text == reference.text and mine.status == reference.status
                for a, b in zip(mine.digits, reference.digits):
                    np.testing.assert_allclose(a.probabilities, b.probabilities, rtol=1e-4, atol=1e-6)
