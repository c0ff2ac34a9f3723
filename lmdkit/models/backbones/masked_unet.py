"""LMD's "w/o MAE" ablation: a U-Net reconstructs masked latents instead of an MAE encoder-decoder.

The masked patches of the latent are zeroed and a binary mask channel is appended; the U-Net sees the whole grid
(no token dropping) and predicts every latent value. The interface matches ``MAEViT`` + decoder inside ``LMD``:
``forward(z, mask_ratio, noise)`` returns per-patch predictions, the mask and the restore permutation, so LMD's
loss, schedule, validation and sampling run unchanged with ``neck=None``.
"""

from typing import Optional, Tuple

import torch
from mmengine.model import BaseModule

from lmdkit.registry import MODELS

from ..example import ComponentExample, example_noise, weighted_mean
from ..layers import patch_mask_to_image, patchify, random_masking
from .unet import UNet


@MODELS.register_module()
class MaskedUNet(BaseModule):
    """Masked-latent reconstruction with an ADM U-Net (constant timestep, no class condition).

    Args:
        img_size: latent side.
        patch_size: masking granularity in latent cells (the MAE's patch size, so masks are comparable).
        in_channels: latent channels.
        unet: ``UNet`` keyword arguments (``model_channels``, ``channel_mult``, ``num_res_blocks``,
            ``attention_resolutions``, ``num_heads``, ``dropout``).
    """

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny MaskedUNet and its objective (``lmdkit.models.example``; the registry-wide test)."""
        unet = dict(model_channels=8, channel_mult=(1, 2), num_res_blocks=1, attention_resolutions=(2,), num_heads=2)
        return ComponentExample(
            cfg=dict(type='MaskedUNet', img_size=8, patch_size=2, in_channels=1, unet=unet),
            objective=lambda m: weighted_mean(m(example_noise(2, 1, 8, 8), 0.5)),
        )

    def __init__(
        self,
        img_size: int = 8,
        patch_size: int = 1,
        in_channels: int = 4,
        unet: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if img_size % patch_size:
            raise ValueError(f'img_size {img_size} is not divisible by patch_size {patch_size}')
        self.patch_size, self.in_channels = patch_size, in_channels
        self.grid_size: Tuple[int, int] = (img_size // patch_size, img_size // patch_size)
        self.num_patches = self.grid_size[0] * self.grid_size[1]  # LMD's fixed validation masks need it
        unet = dict(unet or {})
        unet.update(input_size=img_size, in_channels=in_channels + 1, out_channels=in_channels, num_classes=0,
                    learn_sigma=False)  # fmt: skip
        self.unet = UNet(**unet)

    def forward(
        self, z: torch.Tensor, mask_ratio: float, noise: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor], Optional[torch.Tensor]]:
        """(B, C, h, w) latents -> (B, L, p·p·C) predictions, (B, L) mask (1 = masked) and ids_restore."""
        b, length = z.shape[0], self.grid_size[0] * self.grid_size[1]
        if mask_ratio > 0:
            # MAE's masking on a dummy token sequence gives the same masks as the ViT path for the same noise
            _, mask, ids_restore = random_masking(z.new_zeros(b, length, 1), mask_ratio, noise)
        else:
            mask, ids_restore = z.new_zeros(b, length), None
        m = patch_mask_to_image(mask, self.grid_size, self.patch_size).to(z.dtype)  # (B, 1, h, w)
        t = torch.zeros(b, dtype=torch.long, device=z.device)
        out = self.unet(torch.cat([z * (1 - m), m], dim=1), t)  # (B, C, h, w)
        return patchify(out, self.patch_size), mask, ids_restore
