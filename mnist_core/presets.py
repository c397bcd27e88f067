"""Model presets: how each of the five seed projects' MLPs, reproduced, and our CNN built for drawn
digits are trained, with what their seed project claimed.

Free of Keras (its import takes seconds): scripts list the presets without it; a preset's network is
built by mnist_core/networks.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True)
class Preset:
    """How one model is built and trained, with what its seed project claimed."""

    name: str
    origin: str
    claimed_accuracy: str
    network: str  # its network in networks.NETWORKS (an ensemble: each member's)
    epochs: int
    batch_size: int = 32  # Keras' default, which the seeds used unless they said otherwise
    validation_split: float = 0.1
    augment: bool = False
    learning_rate: float = 1e-3  # Adam's default
    one_cycle: bool = False  # learning rate warms up then anneals (cnn only)
    font_copies: int = 0  # handwritten variants of each training-half font digit added to the training set (fonts.py)
    members: int = 0  # an ensemble: this many networks of the preset ensemble_of, trained apart, averaged
    ensemble_of: str = ""

    def build(self) -> keras.Model:
        """A new, untrained network of this preset (an ensemble: of untrained members)."""
        from mnist_core import networks  # Keras: imported only when a network is built

        if self.members:
            return networks.build_cnn_ensemble([get_preset(self.ensemble_of).build() for _ in range(self.members)])
        return networks.NETWORKS[self.network]()


CNN = Preset("cnn", "ours", "target >= 99.6%", "cnn", epochs=26, batch_size=128,
             validation_split=0.05, augment=True, learning_rate=3e-3, one_cycle=True, font_copies=20)
ENSEMBLE_MEMBERS = 3

PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in [
        Preset("mlp-128-64", "seeds 000 and 001", "98.23% (000), ~97% (001)", "mlp_128_64", epochs=10),
        Preset("mlp-256-128", "seed 002", '"high" (no figure)', "mlp_256_128", epochs=20,
               batch_size=2000, validation_split=0.2),
        # Seed 003 gave no epoch count: 10, as its sibling seeds.
        Preset("linear", "seed 003 basic", "~92%", "linear", epochs=10),
        Preset("mlp-100", "seed 003 improved", "~97%", "mlp_100", epochs=10),
        Preset("mlp-50-50", "seed 004", "97.1%", "mlp_50_50", epochs=10),
        CNN,
        # Three cnn, each with its own seed (so its own redrawn digits, font variants and order).
        replace(CNN, name="cnn-ensemble", claimed_accuracy="target >= 99.7%",
                members=ENSEMBLE_MEMBERS, ensemble_of="cnn"),
    ]
}


def get_preset(name: str) -> Preset:
    """The preset called name; ValueError listing the valid names otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown model preset {name!r}; choose one of {', '.join(PRESETS)}") from None
