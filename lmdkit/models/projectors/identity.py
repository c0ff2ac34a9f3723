"""Pixel space as a "latent" space: MAE and LMD's "w/o LSP" ablation."""

import torch

from lmdkit.registry import MODELS

from ..example import ComponentExample, example_noise, weighted_mean
from .base import BaseProjector


@MODELS.register_module()
class IdentityProjector(BaseProjector):
    """encode = decode = identity; ``latent_channels`` = image channels, ``downsample_factor`` = 1."""

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny IdentityProjector and its objective (``lmdkit.models.example``; the registry-wide test)."""
        return ComponentExample(
            cfg=dict(type='IdentityProjector', in_channels=1),
            objective=lambda m: weighted_mean(m.decode(m.encode(example_noise(2, 1, 8, 8)))),
        )

    def __init__(self, in_channels: int = 3) -> None:
        super().__init__()
        self.latent_channels, self.downsample_factor = in_channels, 1

    def encode(self, images: torch.Tensor, sample: bool = True) -> torch.Tensor:
        if images.shape[1] != self.latent_channels:
            raise ValueError(
                f'IdentityProjector(in_channels={self.latent_channels}) got {images.shape[1]}-channel images; '
                f'set projector.in_channels={images.shape[1]} (and backbone.in_channels) in the config'
            )
        return images

    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        return latents
