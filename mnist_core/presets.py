"""Model presets: the five seed projects' MLPs, reproduced, and our CNN built for drawn digits."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import keras
from keras import layers

from mnist_core.config import INPUT_SHAPE, NUM_CLASSES


@dataclass(frozen=True)
class Preset:
    """How one model is built and trained, with what its seed project claimed."""

    name: str
    origin: str
    claimed_accuracy: str
    build: Callable[[], keras.Model]
    epochs: int
    batch_size: int = 32  # Keras' default, which the seeds used unless they said otherwise
    validation_split: float = 0.1
    augment: bool = False
    learning_rate: float = 1e-3  # Adam's default
    one_cycle: bool = False  # learning rate warms up then anneals (cnn only)
    font_copies: int = 0  # handwritten variants of each training-half font digit added to the training set (fonts.py)
    members: int = 0  # an ensemble: this many networks of the preset ensemble_of, trained apart, averaged
    ensemble_of: str = ""


def dense_stack(name: str, hidden: list[int], output_activation: str) -> keras.Model:
    """Flatten(28x28) -> Dense(relu) for each hidden width -> Dense(10, output_activation)."""
    model = keras.Sequential(name=name)
    model.add(keras.Input(shape=INPUT_SHAPE))
    model.add(layers.Flatten())
    for width in hidden:
        model.add(layers.Dense(width, activation="relu"))
    model.add(layers.Dense(NUM_CLASSES, activation=output_activation))
    return model


def build_mlp_128_64() -> keras.Model:
    """Seeds 000/001: Dense 128 relu, Dense 64 relu, Dense 10 softmax."""
    return dense_stack("mlp_128_64", [128, 64], "softmax")


def build_mlp_256_128() -> keras.Model:
    """Seed 002: Dense 256 relu, Dense 128 relu, Dense 10 softmax."""
    return dense_stack("mlp_256_128", [256, 128], "softmax")


def build_linear() -> keras.Model:
    """Seed 003 basic: a single Dense 10 sigmoid layer."""
    return dense_stack("linear", [], "sigmoid")


def build_mlp_100() -> keras.Model:
    """Seed 003 improved: Dense 100 relu, Dense 10 sigmoid."""
    return dense_stack("mlp_100", [100], "sigmoid")


def build_mlp_50_50() -> keras.Model:
    """Seed 004: Dense 50 relu, Dense 50 relu, Dense 10 sigmoid."""
    return dense_stack("mlp_50_50", [50, 50], "sigmoid")


def conv_block(filters: int, kernel_size: int = 3) -> list[layers.Layer]:
    """Conv ('valid', no bias: BatchNorm supplies it) -> BatchNorm -> ReLU."""
    return [layers.Conv2D(filters, kernel_size, use_bias=False), layers.BatchNormalization(), layers.ReLU()]


def cnn_layers() -> list[layers.Layer]:
    """Our CNN as a chain of new layers: 5x5 conv, pool, two 3x3 convs, pool, dense head."""
    return [
        *conv_block(32, kernel_size=5),  # 24x24
        layers.MaxPooling2D(),  # 12x12
        layers.Dropout(0.05),
        *conv_block(64),  # 10x10
        *conv_block(64),  # 8x8
        layers.MaxPooling2D(),  # 4x4
        layers.Dropout(0.1),
        layers.Flatten(),
        layers.Dense(128, use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.Dropout(0.25),
        layers.Dense(NUM_CLASSES, activation="softmax"),
    ]


def apply_chain(chain: list[layers.Layer], x):
    for layer in chain:
        x = layer(x)
    return x


def build_cnn() -> keras.Model:
    """Ours: 5x5 conv, pool, two 3x3 convs, pool, dense head; BatchNorm and dropout; softmax.

    Sized for the 2-core CPU it trains on: about 190k parameters and 5M multiply-adds per image,
    so that 15+ epochs of augmented training fit in 15 minutes.
    """
    inputs = keras.Input(shape=INPUT_SHAPE)
    return keras.Model(inputs, apply_chain(cnn_layers(), inputs), name="cnn")


def build_cnn_ensemble(members: list[keras.Model]) -> keras.Model:
    """Trained CNNs (build_cnn) -> one model that averages their probabilities, weights copied.

    Independently trained networks make different mistakes; their average makes fewer.
    """
    inputs = keras.Input(shape=INPUT_SHAPE)
    outputs = []
    for member in members:
        chain = cnn_layers()
        outputs.append(apply_chain(chain, inputs))
        for layer, trained in zip(chain, member.layers[1:], strict=True):  # layers[0]: the InputLayer
            layer.set_weights(trained.get_weights())
    return keras.Model(inputs, layers.Average()(outputs), name=f"cnn_ensemble_{len(members)}")


CNN = Preset("cnn", "ours", "target >= 99.6%", build_cnn, epochs=20, batch_size=128,
             validation_split=0.05, augment=True, learning_rate=3e-3, one_cycle=True, font_copies=20)
ENSEMBLE_MEMBERS = 3

PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in [
        Preset("mlp-128-64", "seeds 000 and 001", "98.23% (000), ~97% (001)", build_mlp_128_64,
               epochs=10),
        Preset("mlp-256-128", "seed 002", '"high" (no figure)', build_mlp_256_128, epochs=20,
               batch_size=2000, validation_split=0.2),
        # Seed 003 gave no epoch count: 10, as its sibling seeds.
        Preset("linear", "seed 003 basic", "~92%", build_linear, epochs=10),
        Preset("mlp-100", "seed 003 improved", "~97%", build_mlp_100, epochs=10),
        Preset("mlp-50-50", "seed 004", "97.1%", build_mlp_50_50, epochs=10),
        CNN,
        # Trained exactly as cnn (each member with its own seed, so its own redrawn digits and order).
        replace(CNN, name="cnn-ensemble", claimed_accuracy="target >= 99.7%",
                build=lambda: build_cnn_ensemble([build_cnn() for _ in range(ENSEMBLE_MEMBERS)]),
                members=ENSEMBLE_MEMBERS, ensemble_of="cnn"),
    ]
}


def get_preset(name: str) -> Preset:
    """The preset called name; ValueError listing the valid names otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown model preset {name!r}; choose one of {', '.join(PRESETS)}") from None
