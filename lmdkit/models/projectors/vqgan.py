"""VQGAN (Esser et al., 2021; taming-transformers) as a projector."""

from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from lmdkit.registry import MODELS

from ..example import ComponentExample, example_noise
from ..layers import Decoder, Encoder, VectorQuantizer
from .base import BaseProjector
from .weights import load_autoencoder_weights


@MODELS.register_module()
class VQGANProjector(BaseProjector):
    """Encoder → ``quant_conv`` → nearest codebook entry → ``post_quant_conv`` → decoder, in taming's key layout
    (``quantize.embedding.weight``). Defaults are taming's ImageNet f16 model (1024 codes of width 256).

    Args:
        z_channels: encoder output / decoder input width.
        embed_dim: code width; the latent channels LMD sees.
        num_codes: codebook size.
        beta, legacy: VQ loss weighting (see ``VectorQuantizer``); taming's checkpoints were trained with legacy.
        restart_every: dead-code restarts while training (see ``VectorQuantizer``); 0 = off.
        quantize_latents: ``encode`` returns the quantised latents (codes); False returns the pre-quantisation ones.
        scaling_factor: latent multiplier after ``encode`` (and divisor before ``decode``).
        checkpoint: a taming ``.ckpt`` (its ``loss.*`` keys are ignored and reported) or one of our Autoencoder
            checkpoints (``projector.*`` keys).
    """

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny VQGANProjector and its objective (``lmdkit.models.example``; the registry-wide test)."""

        def round_trip(m: 'VQGANProjector') -> torch.Tensor:
            x = example_noise(2, 1, 16, 16)
            z_q, vq_loss, _ = m.quantize_images(x)
            return (m.decode(z_q) - x).pow(2).mean() + vq_loss

        return ComponentExample(
            cfg=dict(
                type='VQGANProjector',
                in_channels=1,
                z_channels=32,
                embed_dim=4,
                num_codes=32,
                ch=32,
                ch_mult=(1, 2),
                num_res_blocks=1,
                attn_resolutions=(),
                resolution=16,
                restart_every=5,
            ),  # fmt: skip
            objective=round_trip,
        )

    def __init__(
        self,
        in_channels: int = 3,
        z_channels: int = 256,
        embed_dim: int = 256,
        num_codes: int = 1024,
        ch: int = 128,
        ch_mult: Sequence[int] = (1, 1, 2, 2, 4),
        num_res_blocks: int = 2,
        attn_resolutions: Sequence[int] = (16,),
        resolution: int = 256,
        beta: float = 0.25,
        legacy: bool = False,
        restart_every: int = 0,
        quantize_latents: bool = True,
        scaling_factor: float = 1.0,
        checkpoint: Optional[str] = None,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.latent_channels, self.downsample_factor = embed_dim, 2 ** (len(ch_mult) - 1)
        self.quantize_latents, self.scaling_factor, self.num_levels = quantize_latents, scaling_factor, len(ch_mult)
        shape = dict(ch=ch, ch_mult=ch_mult, num_res_blocks=num_res_blocks, attn_resolutions=attn_resolutions,
                     resolution=resolution)  # fmt: skip
        self.encoder = Encoder(in_channels, z_channels, **shape)
        self.quant_conv = nn.Conv2d(z_channels, embed_dim, 1)
        self.quantize = VectorQuantizer(num_codes, embed_dim, beta=beta, legacy=legacy, restart_every=restart_every)
        self.post_quant_conv = nn.Conv2d(embed_dim, z_channels, 1)
        self.decoder = Decoder(z_channels, in_channels, **shape)
        self.load_report = None
        if checkpoint:
            self.load_report = load_autoencoder_weights(self, checkpoint, self.num_levels, prefixes=('projector.',))

    def quantize_images(self, images: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, Dict[str, torch.Tensor]]:
        """(quantised latents with straight-through gradient, VQ loss, info) for a batch of images."""
        return self.quantize(self.quant_conv(self.encoder(images)))

    def encode(self, images: torch.Tensor, sample: bool = True) -> torch.Tensor:
        h = self.quant_conv(self.encoder(images))
        z = self.quantize.quantize_nearest(h)[0] if self.quantize_latents else h
        return z * self.scaling_factor

    def encode_indices(self, images: torch.Tensor) -> torch.Tensor:
        """(B, h, w) code indices."""
        return self.quantize.quantize_nearest(self.quant_conv(self.encoder(images)))[1]

    def decode_indices(self, indices: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.post_quant_conv(self.quantize.lookup(indices)))

    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.post_quant_conv(latents / self.scaling_factor))

    def cache_encode(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Code indices (exact and compact) when latents are quantised, else the pre-quantisation latents."""
        h = self.quant_conv(self.encoder(images))
        return dict(indices=self.quantize.quantize_nearest(h)[1]) if self.quantize_latents else dict(latents=h)

    def from_cache(self, record: Dict[str, torch.Tensor], sample: bool = True) -> torch.Tensor:
        z = self.quantize.lookup(record['indices'].long()) if 'indices' in record else record['latents'].float()
        return z * self.scaling_factor

    @property
    def last_layer(self) -> torch.Tensor:
        return self.decoder.last_layer
