"""Pixel space as a "latent" space: MAE and LMD's "w/o LSP" ablation."""

import torch

from lmdkit.registry import MODELS

from .base import BaseProjector


@MODELS.register_module()
class IdentityProjector(BaseProjector):
    """encode = decode = identity; ``latent_channels`` = image channels, ``downsample_factor`` = 1."""

    def __init__(self, in_channels: int = 3) -> None:
        super().__init__()
        self.latent_channels, self.downsample_factor = in_channels, 1

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        if images.shape[1] != self.latent_channels:
            raise ValueError(
                f'IdentityProjector(in_channels={self.latent_channels}) got {images.shape[1]}-channel images; '
                f'set projector.in_channels={images.shape[1]} (and backbone.in_channels) in the config'
            )
        return images

    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        return latents
