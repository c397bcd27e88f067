"""The trained model's forward pass in NumPy, for reading one drawing at a time.

For a single 28x28 image TensorFlow's per-call overhead is most of the cost: a traced
tf.function takes 1.5-3 ms (more after the app has sat idle between strokes, more again inside
a busy server), the same arithmetic in NumPy 0.3-1 ms. The layers are read from the very file
Keras saved (model.keras: a zip of config.json and model.weights.h5), so there is no second copy
of the weights to drift, and serving needs no TensorFlow at all (it takes ~4 s and ~500 MB to
import). Nothing in the file is executed: a layer this module does not know makes it decline; the
file itself is checked before anything in it is read (model_files), and every weight's shape
against its layer before the weight is read.
scripts/train.py checks this pass against Keras for every model it saves; the tests check every
shipped model.

An ensemble (several networks of one design on the one input, averaged) runs as one network whose
weights carry a leading member axis, so each step runs once for all members. Every array here has
that axis: of length 1 for a single network.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_core.config import INPUT_SHAPE
from mnist_core.model_files import read_model_file

Step = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Layer:
    """One layer position of the network(s), every member's weights stacked (mnist_core.saliency
    walks these backwards; the app shows their outputs)."""

    kind: str  # the Keras class name: Conv2D, Dense, BatchNormalization, ReLU, ...
    config: dict  # the first member's Keras config
    weights: list[np.ndarray]  # float32, each with a leading member axis
    step: Step


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
    """A stride-1 'valid' convolution, kernel (M, kh, kw, C, F):
    float32 (M or 1, N, H, W, C) -> (M, N, H-kh+1, W-kw+1, F)."""
    members, kernel_height, kernel_width, _, filters = kernel.shape
    flat_kernel = np.ascontiguousarray(kernel.reshape(members, -1, filters))  # rows in (kh, kw, C) order
    bias = bias[:, None, :] if bias is not None else None

    def step(x: np.ndarray) -> np.ndarray:
        count, height, width = x.shape[1:4]
        out_height, out_width = height - kernel_height + 1, width - kernel_width + 1
        # The image patches side by side, in the kernel's (kh, kw, C) order: shifted copies of
        # whole rows of channels, several times faster than gathering sliding windows.
        patches = np.concatenate(
            [x[:, :, row : row + out_height, col : col + out_width, :]
             for row in range(kernel_height) for col in range(kernel_width)],
            axis=-1,
        )
        out = patches.reshape(len(x), -1, flat_kernel.shape[1]) @ flat_kernel  # (M, N*H'*W', F)
        out = activation(out + bias if bias is not None else out)
        return out.reshape(len(out), count, out_height, out_width, filters)

    return step


def dense_step(kernel: np.ndarray, bias: np.ndarray | None, activation: Step) -> Step:
    """kernel (M, D, U): float32 (M, N, D) -> (M, N, U)."""
    bias = bias[:, None, :] if bias is not None else None

    def step(x: np.ndarray) -> np.ndarray:
        out = x @ kernel
        return activation(out + bias if bias is not None else out)

    return step


def batch_norm_step(gamma, beta, mean, variance, epsilon: float) -> Step:
    """Per-channel scale and shift, each (M, C): float32 (M, N, ..., C) -> the same shape."""
    scale = (gamma / np.sqrt(variance + epsilon)).astype(np.float32)
    shift = (beta - mean * scale).astype(np.float32)

    def step(x: np.ndarray) -> np.ndarray:
        shape = (len(scale), *[1] * (x.ndim - 2), scale.shape[1])
        return x * scale.reshape(shape) + shift.reshape(shape)

    return step


def max_pool_step(size: int) -> Step:
    """Non-overlapping size x size max pooling ('valid': a ragged edge is dropped, as Keras does)."""

    def step(x: np.ndarray) -> np.ndarray:
        rows, cols = x.shape[2] // size, x.shape[3] // size
        # The element-wise maximum of the size*size strided views: faster than a reshape's max(axis=...).
        views = [x[:, :, row : rows * size : size, col : cols * size : size]
                 for row in range(size) for col in range(size)]
        out = views[0].copy()
        for view in views[1:]:
            np.maximum(out, view, out=out)
        return out

    return step


def covered(kind: str, config: dict) -> bool:
    """Whether this module runs a Keras layer of this class and config."""
    if kind in ("InputLayer", "Dropout", "Flatten"):
        return True
    if config.get("activation", "linear") not in ACTIVATIONS:
        return False
    if kind in ("Dense", "Activation"):
        return True
    if kind == "Conv2D":
        return (
            config["padding"] == "valid" and tuple(config["strides"]) == (1, 1)
            and tuple(config["dilation_rate"]) == (1, 1) and config.get("groups", 1) == 1
            and config["data_format"] == "channels_last"
        )
    if kind == "BatchNormalization":
        return config["axis"] in (-1, [-1]) and bool(config["center"] and config["scale"])
    if kind == "ReLU":
        return not config.get("max_value") and not config.get("negative_slope") and not config.get("threshold")
    if kind == "MaxPooling2D":
        size, strides = tuple(config["pool_size"]), tuple(config["strides"] or config["pool_size"])
        return size[0] == size[1] and strides == size and config["padding"] == "valid"
    return False


def layer_shapes(kind: str, config: dict, input_shape: tuple[int, ...]) -> tuple[list[tuple[int, ...]], tuple[int, ...]]:
    """A covered layer and the shape of its input (one image, no batch axis) -> the shapes its
    weights must have (one network's) and the shape of its output."""
    bias = [(config.get("units") or config.get("filters"),)] if config.get("use_bias") else []
    if kind == "Flatten":
        return [], (int(np.prod(input_shape)),)
    if kind == "Dense":
        return [(input_shape[-1], config["units"]), *bias], (*input_shape[:-1], config["units"])
    if kind == "Conv2D":
        (kernel_height, kernel_width), (height, width, channels) = config["kernel_size"], input_shape
        output = (height - kernel_height + 1, width - kernel_width + 1, config["filters"])
        return [(kernel_height, kernel_width, channels, config["filters"]), *bias], output
    if kind == "BatchNormalization":
        return [input_shape[-1:]] * 4, input_shape  # gamma, beta, moving mean, moving variance
    if kind == "MaxPooling2D":
        size, (height, width, channels) = config["pool_size"][0], input_shape
        return [], (height // size, width // size, channels)
    return [], input_shape  # InputLayer, Dropout, ReLU, Activation


def layer_step(kind: str, config: dict, weights: list[np.ndarray]) -> Step:
    """One covered Keras layer (class name, config, weights stacked over members) -> its NumPy step."""
    if kind in ("InputLayer", "Dropout"):  # Dropout only acts while training
        return lambda x: x
    if kind == "Flatten":
        return lambda x: x.reshape(*x.shape[:2], int(np.prod(x.shape[2:])))  # -1 fails on an empty batch
    activation = ACTIVATIONS[config.get("activation", "linear")]
    if kind == "Dense":
        return dense_step(weights[0], weights[1] if config["use_bias"] else None, activation)
    if kind == "Conv2D":
        return conv2d_step(weights[0], weights[1] if config["use_bias"] else None, activation)
    if kind == "BatchNormalization":
        gamma, beta, mean, variance = weights
        return batch_norm_step(gamma, beta, mean, variance, config["epsilon"])
    if kind == "ReLU":
        return ACTIVATIONS["relu"]
    if kind == "Activation":
        return activation
    return max_pool_step(config["pool_size"][0])  # MaxPooling2D


def members_forward(steps: list[Step]) -> Step:
    """The steps of M stacked networks -> f(float32 (N, ...)) -> float32 (N, classes), their mean."""

    def forward(x: np.ndarray) -> np.ndarray:
        x = x[None]  # one input for every member
        for step in steps:
            x = step(x)
        return x.mean(axis=0, dtype=np.float32) if len(x) > 1 else x[0].astype(np.float32, copy=False)

    return forward


def layer_outputs(layers: list[Layer], images: np.ndarray) -> list[np.ndarray]:
    """float32 (N, 28, 28, 1) -> every layer's output, float32 (M, N, ...) each (the last: each
    member's scores). A separate walk from members_forward, which keeps nothing: reading a drawing
    pays nothing for it."""
    outputs, x = [], images[None]
    for layer in layers:
        x = layer.step(x)
        outputs.append(x)
    return outputs


def read_forward(path: str | Path) -> Step | None:
    """model.keras -> f(float32 (N, 28, 28, 1)) -> float32 (N, classes), or None when the file holds
    a model this module does not cover (another layer, branches other than an ensemble's);
    ValueError when it is damaged or unsafe (see model_files), or a weight's shape does not fit
    its layer: said at load, naming the layer, not at every prediction."""
    layers = read_layers(path)
    return members_forward([layer.step for layer in layers]) if layers is not None else None


def read_layers(path: str | Path) -> list[Layer] | None:
    """model.keras -> its layers as NumPy steps, members stacked; None and ValueError as read_forward."""
    path = Path(path)
    try:
        model_config, weights_file = read_model_file(path)
        with weights_file:
            towers = towers_of_layers(model_config)
            if towers is None:
                return None
            all_layers = model_config["config"]["layers"]
            path_of = {layer["config"]["name"]: path for layer, path in zip(all_layers, weight_paths(all_layers))}

            def weights_of(layer: dict, shapes: list[tuple[int, ...]]) -> list[np.ndarray]:
                """A layer's weights, read only once their number and shapes are the ones expected."""
                variables = weights_file.get(f"{path_of[layer['config']['name']]}/vars")
                found = [variables[str(index)].shape for index in range(len(variables))] if variables is not None else []
                if found != shapes:
                    raise ValueError(
                        f"layer {layer['config']['name']} ({layer['class_name']}) has weights of shapes "
                        f"{', '.join(map(str, found)) or 'none'}; its config and input need {', '.join(map(str, shapes)) or 'none'}"
                    )
                return [np.asarray(variables[str(index)], np.float32) for index in range(len(shapes))]

            layers, shape = [], INPUT_SHAPE
            for same_layer in zip(*towers):  # one layer position, every member
                kind, config = same_layer[0]["class_name"], same_layer[0]["config"]
                if not covered(kind, config) or (kind == "Dense" and len(shape) > 1):
                    return None  # (Dense on an unflattened image: Keras broadcasts it, dense_step does not)
                shapes, shape = layer_shapes(kind, config, shape)
                if min(shape) < 1:
                    raise ValueError(f"layer {config['name']} ({kind}) leaves nothing of a {INPUT_SHAPE} image")
                stacked = [np.stack(member_weights) for member_weights in zip(*(weights_of(layer, shapes) for layer in same_layer))]
                layers.append(Layer(kind, config, stacked, layer_step(kind, config, stacked)))
    except (OSError, KeyError, IndexError, TypeError, AttributeError, RecursionError, ValueError, zipfile.BadZipFile) as error:
        # Named by its folder and file, never the server's path: the message may reach a user.
        reason = error.strerror if isinstance(error, OSError) and error.filename else error
        raise ValueError(f"{path.parent.name}/{path.name} is damaged or unsafe ({reason})") from error
    return layers


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


def source_names(layer: dict) -> list[str] | None:
    """The names of the layers whose outputs a Functional model's layer reads; None when it is
    called more than once (shared)."""
    nodes = layer.get("inbound_nodes", [])
    if len(nodes) > 1:
        return None

    def names(argument) -> list[str]:
        if isinstance(argument, dict):
            history = argument.get("config", {}).get("keras_history") if "config" in argument else None
            return [history[0]] if history else []
        if isinstance(argument, (list, tuple)):
            return [name for item in argument for name in names(item)]
        return []

    return names(nodes[0].get("args", [])) if nodes else []


def same_design(layer: dict, other: dict) -> bool:
    """Two layer configs equal but for their names (and the ids Keras gives objects it shares)."""
    def design(value):
        if isinstance(value, dict):
            return {key: design(item) for key, item in value.items() if key not in ("name", "shared_object_id")}
        return [design(item) for item in value] if isinstance(value, list) else value

    return layer["class_name"] == other["class_name"] and design(layer["config"]) == design(other["config"])


def towers_of_layers(model_config: dict) -> list[list[dict]] | None:
    """A saved model's config -> its networks' layers in order: one list for a plain chain, M lists
    of the same design for an ensemble (M chains on the one input, averaged); None otherwise."""
    if model_config.get("class_name") not in ("Sequential", "Functional"):
        return None
    layers = model_config["config"]["layers"]
    if model_config["class_name"] == "Sequential":
        return [[layer for layer in layers if layer["class_name"] != "InputLayer"]]
    by_name = {layer["config"]["name"]: layer for layer in layers}
    if not layers or layers[0]["class_name"] != "InputLayer":
        return None
    outputs = model_config["config"].get("output_layers", [])
    outputs = [outputs] if outputs and isinstance(outputs[0], str) else outputs  # one output: a bare triple
    if [output[0] for output in outputs] != [layers[-1]["config"]["name"]]:
        return None
    averaged = layers[-1]["class_name"] == "Average"
    ends = source_names(layers[-1]) if averaged else [layers[-1]["config"]["name"]]
    towers = []
    for end in ends or []:
        tower, name = [], end
        while name != layers[0]["config"]["name"]:  # walk back to the input, one source at a time
            layer = by_name.get(name)
            sources = source_names(layer) if layer else None
            if not sources or len(sources) != 1 or layer["class_name"] == "InputLayer" or len(tower) >= len(layers):
                return None  # branches, or a damaged config that loops
            tower.append(layer)
            name = sources[0]
        towers.append(tower[::-1])
    if not towers or 1 + sum(map(len, towers)) + averaged != len(layers):
        return None  # a layer that feeds no output, or one in two towers
    first = towers[0]
    if any(len(tower) != len(first) or not all(map(same_design, tower, first)) for tower in towers[1:]):
        return None
    return towers
