"""The projector interface: a frozen map between images and the latent space algorithms work in."""

from abc import ABCMeta, abstractmethod
from typing import Dict, Optional

import torch
from mmengine.model import BaseModule


class BaseProjector(BaseModule, metaclass=ABCMeta):
    """Frozen image <-> latent map: ``encode``, ``decode``, ``latent_channels``, ``downsample_factor``.

    Projectors never train inside LMD/MDT: ``freeze()`` stops their gradients and keeps them in eval mode whatever
    ``train()`` is called with. The ``Autoencoder`` algorithm trains them unfrozen. Images enter ``encode`` as the
    data preprocessor leaves them ([-1, 1]).
    """

    latent_channels: int
    downsample_factor: int

    def __init__(self, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.frozen = False

    def freeze(self) -> None:
        """Stop gradients to the projector's own weights (inputs may still receive gradients through decode)."""
        for p in self.parameters():
            p.requires_grad_(False)
        self.frozen = True
        self.eval()

    def train(self, mode: bool = True) -> 'BaseProjector':
        return super().train(mode and not getattr(self, 'frozen', False))

    @abstractmethod
    def encode(self, images: torch.Tensor, sample: bool = True) -> torch.Tensor:
        """(B, C_img, H, W) -> (B, latent_channels, H/f, W/f). ``sample=False`` asks a stochastic projector
        (``AutoencoderKLProjector(sample_posterior=True)``) for its deterministic latent, the posterior mode, as
        validation wants; deterministic projectors ignore it."""

    @abstractmethod
    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """(B, latent_channels, h, w) -> (B, C_img, h·f, w·f)."""

    def cache_encode(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        """What a latent cache stores so that ``from_cache`` reproduces ``encode``'s output distribution."""
        return dict(latents=self.encode(images))

    def from_cache(self, record: Dict[str, torch.Tensor], sample: bool = True) -> torch.Tensor:
        """Latents, as ``encode(..., sample)`` would give them, from a (batched) cache record."""
        return record['latents'].float()
