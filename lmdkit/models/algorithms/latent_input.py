"""The latent input every latent-space algorithm shares: images through a frozen projector, or cached latents."""

from typing import Dict, Union

import torch
import torch.nn as nn


class LatentInput:
    """Mixin for algorithms with a frozen ``projector`` in front (LMD, MaskedDiffusion, the classifier): one
    definition of how a batch becomes latents. ``latent_scale`` multiplies them (diffusion's SD-VAE factor; 1 for
    masked modelling)."""

    projector: nn.Module
    latent_scale: float = 1.0
    training: bool  # nn.Module's mode: a stochastic projector samples only in training

    @torch.no_grad()
    def encode_latents(self, inputs: Union[torch.Tensor, Dict[str, torch.Tensor]]) -> torch.Tensor:
        """(B, C, h, w) latents from preprocessed images (B, C_img, H, W) or from a batch of latent-cache records
        (a dict, from ``LatentCacheDataset``: nothing is encoded then), times ``latent_scale``. A projector that
        samples its posterior does so in training only: validation scores every checkpoint on the mode."""
        sample = self.training
        if isinstance(inputs, dict):
            z = self.projector.from_cache(inputs, sample=sample)
        else:
            z = self.projector.encode(inputs, sample=sample)
        return z if self.latent_scale == 1.0 else z * self.latent_scale
