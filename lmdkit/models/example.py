"""A component's own example, in the spirit of timm's ``default_cfg`` and Hugging Face's ``dummy_inputs``: a tiny
config and a scalar objective through every parameter the component trains. The registry-wide test
(``tests/test_models/test_registry_wide.py``) builds each registered model from its example and checks forward,
backward and gradients without knowing any component by name."""

from dataclasses import dataclass
from typing import Callable, Mapping, Union

import torch
import torch.nn as nn


@dataclass(frozen=True)
class ComponentExample:
    """``cfg`` builds a tiny instance (``MODELS.build``); ``objective(model)`` is a finite scalar whose gradient
    reaches every trainable parameter the component uses in training."""

    cfg: dict
    objective: Callable[[nn.Module], torch.Tensor]


def example_noise(*shape: int, seed: int = 0) -> torch.Tensor:
    """Standard normal values from a seeded generator (the same on every call)."""
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def example_images(*shape: int, seed: int = 0) -> torch.Tensor:
    """uint8 pixel values (what the datasets give the data preprocessors) from a seeded generator."""
    return torch.randint(0, 256, shape, dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))


def weighted_mean(out: Union[torch.Tensor, tuple]) -> torch.Tensor:
    """A loss linear in the output (its first element for a tuple) with fixed random weights: gradients reach
    zero-initialised output layers too (DiT's and MDT's final layers start at zero, where a squared loss has none)."""
    out = out[0] if isinstance(out, tuple) else out
    return (out.float() * example_noise(*out.shape, seed=1)).mean()


def denoiser_objective(model: nn.Module, *extra) -> torch.Tensor:
    """A denoiser's objective: ``weighted_mean`` of its output for 8x8 single-channel latents at timesteps 3 and 90
    with labels 1 and 10 (``extra``: further arguments, MDT's mask ratio)."""
    return weighted_mean(model(example_noise(2, 1, 8, 8), torch.tensor([3, 90]), torch.tensor([1, 10]), *extra))


def loss_terms(losses: Mapping[str, Union[torch.Tensor, float]]) -> torch.Tensor:
    """The sum of an algorithm's loss terms (the keys containing ``loss``, as ``parse_losses`` adds them)."""
    return sum(v for k, v in losses.items() if 'loss' in k)
