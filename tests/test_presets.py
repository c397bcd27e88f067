"""Each seed project's model is rebuilt exactly as its table row says; ours is a real CNN."""

from __future__ import annotations

import keras
import pytest

from mnist_core.presets import PRESETS

# preset -> [(units, activation), ...] of its Dense layers after Flatten, from the table.
SEED_LAYERS = {
    "mlp-128-64": [(128, "relu"), (64, "relu"), (10, "softmax")],
    "mlp-256-128": [(256, "relu"), (128, "relu"), (10, "softmax")],
    "linear": [(10, "sigmoid")],
    "mlp-100": [(100, "relu"), (10, "sigmoid")],
    "mlp-50-50": [(50, "relu"), (50, "relu"), (10, "sigmoid")],
}


@pytest.mark.parametrize("name", sorted(SEED_LAYERS))
def test_seed_presets_have_the_layers_of_their_seed(name):
    model = PRESETS[name].build()
    assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 10)
    assert isinstance(model.layers[0], keras.layers.Flatten)
    dense = [(layer.units, layer.activation.__name__) for layer in model.layers[1:]]
    assert dense == SEED_LAYERS[name]
    assert all(isinstance(layer, keras.layers.Dense) for layer in model.layers[1:])


def test_seed_training_settings_follow_the_seeds():
    assert PRESETS["mlp-256-128"].epochs == 20 and PRESETS["mlp-256-128"].batch_size == 2000
    assert PRESETS["mlp-256-128"].validation_split == 0.2
    assert PRESETS["mlp-128-64"].epochs == 10 and PRESETS["mlp-50-50"].epochs == 10


def test_cnn_is_convolutional_regularized_and_trained_with_augmentation():
    preset = PRESETS["cnn"]
    model = preset.build()
    kinds = {type(layer).__name__ for layer in model.layers}
    assert {"Conv2D", "BatchNormalization", "Dropout", "MaxPooling2D"} <= kinds
    assert model.output_shape == (None, 10) and preset.augment
    assert model.count_params() < 1_000_000  # ships as a file of a few MB
