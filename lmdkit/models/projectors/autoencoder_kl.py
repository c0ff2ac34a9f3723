"""Stable Diffusion's VAE (AutoencoderKL, Rombach et al., 2022) as a projector."""

from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from lmdkit.fileio.weights import check_diffusers_config
from lmdkit.registry import MODELS

from ..example import ComponentExample, example_noise
from ..layers import Decoder, Encoder
from .base import BaseProjector
from .weights import load_autoencoder_weights


@MODELS.register_module()
class AutoencoderKLProjector(BaseProjector):
    """KL-regularised autoencoder; defaults are ``sd-vae-ft-mse`` (channels 128/256/512/512, 2 res-blocks per
    level, 4 latent channels, f = 8).

    Args:
        in_channels: image channels.
        latent_channels: channels of z (LDM's ``z_channels`` = ``embed_dim``).
        ch, ch_mult, num_res_blocks, attn_resolutions, resolution: encoder/decoder shape (LDM's ``ddconfig``).
        sample_posterior: ``encode`` returns a sample of q(z|x) (MDT/DiT) instead of its mode (LMD); a call with
            ``sample=False`` (validation: ``LatentInput`` in eval mode) still takes the mode.
        scaling_factor: multiplies latents after encoding and divides them before decoding (0.18215 for SD's VAE
            in MDT/DiT; 1.0 in LMD).
        checkpoint: local weights: a diffusers folder or file (``diffusion_pytorch_model.safetensors``/``.bin``)
            or an LDM/CompVis file (``first_stage_model.*`` keys in a ``.ckpt``, or a bare VAE
            ``.pt``/``.safetensors``).
    """

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny AutoencoderKLProjector and its objective (``lmdkit.models.example``; the registry-wide test)."""

        def round_trip(m: 'AutoencoderKLProjector') -> torch.Tensor:
            x = example_noise(2, 1, 16, 16)
            mean, logvar = m.posterior(x)
            return (m.decode(mean) - x).pow(2).mean() + m.kl(mean, logvar).mean() * 1e-3

        return ComponentExample(
            cfg=dict(
                type='AutoencoderKLProjector',
                in_channels=1,
                latent_channels=4,
                ch=32,
                ch_mult=(1, 2),
                num_res_blocks=1,
                resolution=16,
            ),  # fmt: skip
            objective=round_trip,
        )

    def __init__(
        self,
        in_channels: int = 3,
        latent_channels: int = 4,
        ch: int = 128,
        ch_mult: Sequence[int] = (1, 2, 4, 4),
        num_res_blocks: int = 2,
        attn_resolutions: Sequence[int] = (),
        resolution: int = 256,
        sample_posterior: bool = False,
        scaling_factor: float = 1.0,
        checkpoint: Optional[str] = None,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.latent_channels, self.downsample_factor = latent_channels, 2 ** (len(ch_mult) - 1)
        self.sample_posterior, self.scaling_factor, self.num_levels = sample_posterior, scaling_factor, len(ch_mult)
        shape = dict(ch=ch, ch_mult=ch_mult, num_res_blocks=num_res_blocks, attn_resolutions=attn_resolutions,
                     resolution=resolution)  # fmt: skip
        self.encoder = Encoder(in_channels, 2 * latent_channels, **shape)
        self.quant_conv = nn.Conv2d(2 * latent_channels, 2 * latent_channels, 1)
        self.post_quant_conv = nn.Conv2d(latent_channels, latent_channels, 1)
        self.decoder = Decoder(latent_channels, in_channels, **shape)
        self.load_report = None
        if checkpoint:
            check_diffusers_config(checkpoint, dict(latent_channels=latent_channels, in_channels=in_channels,
                                                    layers_per_block=num_res_blocks,
                                                    block_out_channels=[ch * m for m in ch_mult]))  # fmt: skip
            self.load_report = load_autoencoder_weights(self, checkpoint, self.num_levels)

    def posterior(self, images: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance (clamped to [-30, 20] as in LDM) of q(z|x), each (B, C, H/f, W/f)."""
        moments = self.quant_conv(self.encoder(images))
        mean, logvar = moments.chunk(2, dim=1)
        return mean, logvar.clamp(-30.0, 20.0)

    def encode(self, images: torch.Tensor, sample: bool = True) -> torch.Tensor:
        mean, logvar = self.posterior(images)
        z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean) if self.sample_posterior and sample else mean
        return z * self.scaling_factor

    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.post_quant_conv(latents / self.scaling_factor))

    def cache_encode(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The posterior's mean and log-variance (unscaled), so cached training can still sample."""
        mean, logvar = self.posterior(images)
        return dict(mean=mean, logvar=logvar)

    def from_cache(self, record: Dict[str, torch.Tensor], sample: bool = True) -> torch.Tensor:
        """The mode, or a posterior sample: with the record's noise ``eps`` when it has one (``LatentCacheDataset``
        draws it per item from (seed, epoch, index)), else fresh noise."""
        mean, logvar = record['mean'].float(), record['logvar'].float()
        if self.sample_posterior and sample:
            eps = record['eps'].float() if 'eps' in record else torch.randn_like(mean)
            mean = mean + torch.exp(0.5 * logvar) * eps
        return mean * self.scaling_factor

    @staticmethod
    def kl(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """KL(q(z|x) ‖ N(0, I)) summed over latent dimensions, per sample (LDM's DiagonalGaussian.kl)."""
        return 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).flatten(1).sum(1)

    @property
    def last_layer(self) -> torch.Tensor:
        return self.decoder.last_layer
