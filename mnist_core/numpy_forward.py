"""The trained model's forward pass in NumPy, for reading one drawing at a time.

For a single 28x28 image TensorFlow's per-call overhead is most of the cost: a traced
tf.function takes 1.5-3 ms (more after the app has sat idle between strokes, more again inside
a busy server), the same arithmetic in NumPy 0.3-1 ms. The layers are read from the Keras model
itself, so there is no second copy of the weights to drift; the Predictor checks this pass
against Keras when it loads a model and uses it only if they agree.
"""

from __future__ import annotations

from collections.abc import Callable

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


def layer_step(layer) -> Step | None:
    """One Keras layer -> its NumPy step, or None when this module does not cover it."""
    kind = type(layer).__name__
    config = layer.get_config()
    weights = [np.asarray(w, np.float32) for w in layer.get_weights()]
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


def compile_forward(model) -> Step | None:
    """A Keras model made of a chain of layers -> f(float32 (N, 28, 28, 1)) -> float32 (N, classes), or None if any layer is not covered."""
    # The layers are taken as a chain in their listed order: true of every preset, and a model
    # with branches would disagree with Keras in the Predictor's check and not be used.
    steps = []
    for layer in model.layers:
        step = layer_step(layer)
        if step is None:
            return None
        steps.append(step)

    def forward(x: np.ndarray) -> np.ndarray:
        for step in steps:
            x = step(x)
        return x.astype(np.float32, copy=False)

    return forward
