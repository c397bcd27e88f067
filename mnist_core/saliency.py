"""Which pixels of the 28x28 input made the model read a digit: gradient x input, in NumPy.

The gradient of the digit's score before the softmax (for an ensemble: its members' mean) with
respect to each input pixel, times that pixel, kept where positive: the ink that pushed the reading
towards that digit. Background pixels are 0 in the input, so the map lies on the
ink by construction. The layers are walked backwards from their outputs (numpy_forward.layer_outputs):
no TensorFlow, a few milliseconds for a drawing.
"""

from __future__ import annotations

import numpy as np

from mnist_core.numpy_forward import Layer

ELEMENTWISE = ("BatchNormalization", "ReLU", "Activation", "Dropout")  # layers that keep their input's shape


def activation_backward(activation: str, output: np.ndarray, gradient: np.ndarray) -> np.ndarray:
    """The gradient through a hidden layer's activation (relu or linear), from that layer's output."""
    if activation == "relu":
        return gradient * (output > 0)
    if activation == "linear":
        return gradient
    raise ValueError(f"no saliency through a hidden {activation} activation")


def conv_input_gradient(kernel: np.ndarray, gradient: np.ndarray, input_shape: tuple[int, ...]) -> np.ndarray:
    """kernel (M, kh, kw, C, F), gradient (M, N, H', W', F) of a 'valid' stride-1 convolution's
    output -> float32 (M, N, H, W, C), the gradient of its input (input_shape's last three axes)."""
    members, kernel_height, kernel_width, channels, filters = kernel.shape
    count, out_height, out_width = gradient.shape[1:4]
    flat = gradient.reshape(members, -1, filters)
    result = np.zeros((members, count, *input_shape[-3:-1], channels), np.float32)
    for row in range(kernel_height):
        for col in range(kernel_width):
            part = (flat @ kernel[:, row, col].transpose(0, 2, 1)).reshape(members, count, out_height, out_width, channels)
            result[:, :, row : row + out_height, col : col + out_width, :] += part
    return result


def max_pool_input_gradient(size: int, pooled_from: np.ndarray, pooled: np.ndarray, gradient: np.ndarray) -> np.ndarray:
    """The gradient of a size x size max pool's input: each output's gradient to the first input
    pixel that held its maximum (float32, pooled_from's shape)."""
    result = np.zeros((len(pooled), *pooled_from.shape[1:]), np.float32)
    rows, cols = pooled.shape[2], pooled.shape[3]
    taken = np.zeros(pooled.shape, bool)
    for row in range(size):
        for col in range(size):
            window = (slice(None), slice(None), slice(row, rows * size, size), slice(col, cols * size, size))
            hit = (pooled_from[window] == pooled) & ~taken
            result[window] = np.where(hit, gradient, 0.0)
            taken |= hit
    return result


def layer_backward(layer: Layer, layer_input: np.ndarray, output: np.ndarray, gradient: np.ndarray) -> np.ndarray:
    """The gradient of one hidden layer's input from the gradient of its output (both (M, N, ...))."""
    kind, config = layer.kind, layer.config
    if kind in ("InputLayer", "Dropout"):
        return gradient
    if kind == "Flatten":
        return gradient.reshape(*gradient.shape[:2], *layer_input.shape[2:])
    if kind == "ReLU":
        return gradient * (output > 0)
    if kind == "Activation":
        return activation_backward(config["activation"], output, gradient)
    if kind == "BatchNormalization":
        gamma, _beta, _mean, variance = layer.weights
        scale = gamma / np.sqrt(variance + config["epsilon"])
        return gradient * scale.reshape(len(scale), *[1] * (gradient.ndim - 2), scale.shape[1])
    if kind == "MaxPooling2D":
        return max_pool_input_gradient(config["pool_size"][0], layer_input, output, gradient)
    gradient = activation_backward(config.get("activation", "linear"), output, gradient)
    if kind == "Dense":
        return gradient @ layer.weights[0].transpose(0, 2, 1)
    return conv_input_gradient(layer.weights[0], gradient, layer_input.shape)  # Conv2D


def score_gradient(scores: np.ndarray, digit: int) -> np.ndarray:
    """(M, N, 10) each member's outputs -> the gradient, with respect to the last layer's values
    before its softmax (or sigmoid), of the members' mean score for the digit there. Those scores,
    unlike probabilities, do not saturate: a digit read 99.9999% sure still has a map."""
    gradient = np.zeros_like(scores)
    gradient[..., digit] = 1.0 / len(scores)
    return gradient


def saliency_map(layers: list[Layer], image: np.ndarray, outputs: list[np.ndarray], digit: int) -> np.ndarray:
    """layers, float32 (28, 28, 1) input, its layer_outputs (batch of 1), a digit -> float32 (28, 28),
    non-negative: gradient x input of the digit's score, its positive part."""
    inputs = [image[None, None], *outputs[:-1]]
    last = layers[-1]
    gradient = score_gradient(outputs[-1], digit)
    if last.kind == "Dense":
        gradient = gradient @ last.weights[0].transpose(0, 2, 1)
    elif last.kind != "Activation":
        raise ValueError(f"no saliency for a model ending in {last.kind}")
    for layer, layer_input, output in zip(layers[-2::-1], inputs[-2::-1], outputs[-2::-1]):
        gradient = layer_backward(layer, layer_input, output, gradient)
    pixels = gradient.sum(axis=0)[0, ..., 0] * image[..., 0]  # the members share the one input
    return np.maximum(pixels, 0.0).astype(np.float32)
