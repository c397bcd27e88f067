"""The networks the presets train: the five seed projects' MLPs, reproduced, and our CNN.

Imports Keras (seconds): only code that builds a network imports this module.
"""

from __future__ import annotations

import keras
from keras import layers

from mnist_core.config import INPUT_SHAPE, NUM_CLASSES


def dense_stack(name: str, hidden: list[int], output_activation: str, dropout: float = 0.0) -> keras.Model:
    """Flatten(28x28) -> Dense(relu) for each hidden width, each followed by Dropout(dropout) when
    dropout > 0 -> Dense(10, output_activation)."""
    model = keras.Sequential(name=name)
    model.add(keras.Input(shape=INPUT_SHAPE))
    model.add(layers.Flatten())
    for width in hidden:
        model.add(layers.Dense(width, activation="relu"))
        if dropout:
            model.add(layers.Dropout(dropout))
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



def not_digit_network() -> keras.Model:
    """The not-a-digit detector (mnist_core.not_digit): two convs and a dense head, softmax over
    (digit, not a digit). Twice the width of its first version (16/32 filters, 64 units), which
    refused fewer generated non-digits at the same share of digits refused (docs/pipeline.md §6).
    It runs in NumPy on every piece of every stroke."""
    model = keras.Sequential([
        keras.Input(shape=INPUT_SHAPE),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.3),
        layers.Dense(2, activation="softmax"),
    ], name="not_digit")
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model

# A preset's network, by the name the preset gives (presets.py stays free of Keras).
NETWORKS = {
    "mlp_128_64": build_mlp_128_64,
    "mlp_256_128": build_mlp_256_128,
    "linear": build_linear,
    "mlp_100": build_mlp_100,
    "mlp_50_50": build_mlp_50_50,
    "cnn": build_cnn,
}
