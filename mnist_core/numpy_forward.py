"""The trained model's forward pass in NumPy, for reading one drawing at a time.

For a single 28x28 image TensorFlow's per-call overhead is most of the cost: a traced
tf.function takes 1.5-3 ms (more after the app has sat idle between strokes, more again inside
a busy server), the same arithmetic in NumPy 0.3-1 ms. The layers are read from the very file
Keras saved (model.keras: a zip of config.json and model.weights.h5), so there is no second copy
of the weights to drift, and serving needs no TensorFlow at all (it takes ~4 s and ~500 MB to
import). Nothing in the file is executed: a layer this module does not know makes it decline.
scripts/train.py checks this pass against Keras for every model it saves; the tests check every
shipped model.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Step = Callable[[np.ndarray], np.ndarray]


def softmax(x: np.ndarray) -> np.ndarray:
    exponentials = np.exp(x - x.max(axis=-1, keepdims=True))
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


ACTIVATIONS: dict[str, Step] = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "softmax": softmax,
}


def conv2d_step(kernel: np.ndarray, bias: np.ndarray | None, activation: Step) -> Step:
    """A stride-1 'valid' convolution: float32 (N, H, W, C) -> (N, H-kh+1, W-kw+1, filters)."""
    kernel_height, kernel_width, _, filters = kernel.shape
    # sliding_window_view puts the window's axes last: (N, H', W', C, kh, kw); match the kernel to it.
    flat_kernel = np.ascontiguousarray(kernel.transpose(2, 0, 1, 3).reshape(-1, filters))

    def step(x: np.ndarray) -> np.ndarray:
        windows = sliding_window_view(x, (kernel_height, kernel_width), axis=(1, 2))
        out = windows.reshape(*windows.shape[:3], -1) @ flat_kernel
        return activation(out + bias if bias is not None else out)

    return step


def dense_step(kernel: np.ndarray, bias: np.ndarray | None, activation: Step) -> Step:
    def step(x: np.ndarray) -> np.ndarray:
        out = x @ kernel
        return activation(out + bias if bias is not None else out)

    return step


def batch_norm_step(gamma, beta, mean, variance, epsilon: float) -> Step:
    scale = (gamma / np.sqrt(variance + epsilon)).astype(np.float32)
    shift = (beta - mean * scale).astype(np.float32)
    return lambda x: x * scale + shift


def max_pool_step(size: int) -> Step:
    """Non-overlapping size x size max pooling ('valid': a ragged edge is dropped, as Keras does)."""

    def step(x: np.ndarray) -> np.ndarray:
        count, height, width, channels = x.shape
        rows, cols = height // size, width // size
        x = x[:, : rows * size, : cols * size]
        return x.reshape(count, rows, size, cols, size, channels).max(axis=(2, 4))

    return step


def layer_step(kind: str, config: dict, weights: list[np.ndarray]) -> Step | None:
    """One Keras layer (class name, config, weights) -> its NumPy step, or None when not covered."""
    if kind in ("InputLayer", "Dropout"):  # Dropout only acts while training
        return lambda x: x
    if kind == "Flatten":
        return lambda x: x.reshape(len(x), -1)
    activation = ACTIVATIONS.get(config.get("activation", "linear"))
    if activation is None:
        return None
    if kind == "Dense":
        return dense_step(weights[0], weights[1] if config["use_bias"] else None, activation)
    if kind == "Conv2D":
        plain = (
            config["padding"] == "valid" and tuple(config["strides"]) == (1, 1)
            and tuple(config["dilation_rate"]) == (1, 1) and config.get("groups", 1) == 1
            and config["data_format"] == "channels_last"
        )
        return conv2d_step(weights[0], weights[1] if config["use_bias"] else None, activation) if plain else None
    if kind == "BatchNormalization":
        if config["axis"] not in (-1, [-1]) or not (config["center"] and config["scale"]):
            return None
        gamma, beta, mean, variance = weights
        return batch_norm_step(gamma, beta, mean, variance, config["epsilon"])
    if kind == "ReLU":
        plain = not config.get("max_value") and not config.get("negative_slope") and not config.get("threshold")
        return ACTIVATIONS["relu"] if plain else None
    if kind == "Activation":
        return activation
    if kind == "MaxPooling2D":
        size, strides = tuple(config["pool_size"]), tuple(config["strides"] or config["pool_size"])
        square = size[0] == size[1] and strides == size
        return max_pool_step(size[0]) if square and config["padding"] == "valid" else None
    return None


def chain_forward(steps: list[Step]) -> Step:
    def forward(x: np.ndarray) -> np.ndarray:
        for step in steps:
            x = step(x)
        return x.astype(np.float32, copy=False)

    return forward


def read_forward(path: str | Path) -> Step | None:
    """model.keras -> f(float32 (N, 28, 28, 1)) -> float32 (N, classes), or None when the file holds
    a model this module does not cover (another layer, branches); ValueError when it is damaged."""
    import h5py  # installed with Keras; imported here so that the rest of the module needs only NumPy

    try:
        with zipfile.ZipFile(path) as archive:
            model_config = json.loads(archive.read("config.json"))
            weights_file = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
        with weights_file:
            layers = chain_of_layers(model_config)
            if layers is None:
                return None
            steps = []
            for layer, path_in_file in zip(layers, weight_paths(layers)):
                variables = weights_file.get(f"{path_in_file}/vars")
                count = len(variables) if variables is not None else 0
                weights = [np.asarray(variables[str(index)], np.float32) for index in range(count)]
                step = layer_step(layer["class_name"], layer["config"], weights)
                if step is None:
                    return None
                steps.append(step)
    except (OSError, KeyError, IndexError, TypeError, ValueError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path} is damaged ({type(error).__name__}: {error})") from error
    return chain_forward(steps)


def weight_paths(layers: list[dict]) -> list[str]:
    """Where Keras 3 stored each layer's weights: by class name and count, not the layer's own
    name (layers/dense, layers/dense_1, ...), as keras.saving does."""
    used: dict[str, int] = {}
    paths = []
    for layer in layers:
        name = re.sub("([a-z])([A-Z])", r"\1_\2", re.sub("(.)([A-Z][a-z]+)", r"\1_\2", layer["class_name"])).lower()
        count = used.get(name, -1) + 1
        used[name] = count
        paths.append(f"layers/{name}" if count == 0 else f"layers/{name}_{count}")
    return paths


def chain_of_layers(model_config: dict) -> list[dict] | None:
    """A saved Sequential or Functional model's config -> its layers in order, or None unless
    each layer takes exactly the previous one's output."""
    if model_config.get("class_name") not in ("Sequential", "Functional"):
        return None
    layers = model_config["config"]["layers"]
    if model_config["class_name"] == "Functional":
        for previous, layer in zip(layers, layers[1:]):
            sources = [
                argument["config"]["keras_history"][0]
                for node in layer.get("inbound_nodes", [])
                for argument in node.get("args", [])
                if isinstance(argument, dict) and "keras_history" in argument.get("config", {})
            ]
            if sources != [previous["config"]["name"]]:
                return None
        outputs = model_config["config"].get("output_layers", [])
        outputs = [outputs] if outputs and isinstance(outputs[0], str) else outputs  # one output: a bare triple
        if [output[0] for output in outputs] != [layers[-1]["config"]["name"]]:
            return None
    return layers
