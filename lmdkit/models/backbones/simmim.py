"""SimMIM encoders (Xie et al., 2022): every position goes through the encoder, masked ones as a learnable mask
token, and a light head predicts the raw inputs of the masked regions.

The masks are drawn per *mask unit* (SimMIM's mask patch: 32 px for Swin-B at 192 px and for ViT-B/16), each unit
masked whole, ⌈units · r⌉ of them — the count ``random_masking`` drops, so the same per-unit noise gives the same
units as MAE's masking. Both encoders follow ``LMD``'s backbone contract: ``forward(x, mask_ratio, noise)`` →
(tokens, mask (B, L) per prediction patch, None), with ``patch_size``/``grid_size``/``num_patches`` describing the
prediction patches the neck (``SimMIMLinearDecoder``) fills.
"""

from typing import Optional, Sequence, Set, Tuple, Union

import torch
import torch.nn as nn

from lmdkit.registry import MODELS

from ..example import ComponentExample, example_noise, weighted_mean
from ..layers import dropped_tokens, patch_mask_to_image
from .swin_mim import MaskedSwin
from .vit_mae import MAEViT


def unit_mask(noise: torch.Tensor, grid: Tuple[int, int], unit: int, mask_ratio: float) -> torch.Tensor:
    """(B, gh·gw) token mask, 1 = masked, whole ``unit``×``unit`` blocks of tokens at a time: each block takes the
    noise of its top-left token (``noise`` (B, gh·gw)) and ``dropped_tokens`` picks the blocks."""
    b = noise.shape[0]
    gh, gw = grid
    per_unit = noise.reshape(b, gh, gw)[:, ::unit, ::unit].reshape(b, -1)
    blocks = dropped_tokens(per_unit, mask_ratio)  # (B, units)
    return patch_mask_to_image(blocks, (gh // unit, gw // unit), unit).reshape(b, -1)


@MODELS.register_module()
class SimMIMViT(MAEViT):
    """ViT encoder for SimMIM: all tokens, the masked ones replaced by ``mask_token`` before the position embedding.

    Args:
        mask_patch_size: side of a mask unit in input pixels (SimMIM: 32), a multiple of ``patch_size``.
        Other arguments as ``MAEViT``. Returns tokens (B, 1 + L, D), class token first.
    """

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny SimMIMViT and its objective (``lmdkit.models.example``; the registry-wide test)."""
        return ComponentExample(
            cfg=dict(
                type='SimMIMViT',
                img_size=16,
                patch_size=4,
                mask_patch_size=8,
                in_channels=3,
                embed_dim=32,
                depth=2,
                num_heads=2,
            ),  # fmt: skip
            objective=lambda m: weighted_mean(m(example_noise(2, 3, 16, 16), 0.5)),
        )

    def __init__(self, mask_patch_size: Optional[int] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.mask_patch_size = mask_patch_size or self.patch_size
        if self.mask_patch_size % self.patch_size:
            raise ValueError(
                f'mask_patch_size {self.mask_patch_size} must be a multiple of patch_size {self.patch_size}'
            )
        self.unit = self.mask_patch_size // self.patch_size
        if any(g % self.unit for g in self.grid_size):
            raise ValueError(f'the {self.grid_size} token grid does not split into {self.unit}x{self.unit} '
                             f'mask units (mask_patch_size {self.mask_patch_size})')  # fmt: skip
        self.mask_token = nn.Parameter(torch.zeros(1, 1, self.embed_dim))
        nn.init.trunc_normal_(self.mask_token, std=0.02)  # SimMIM's init

    def forward(
        self, x: torch.Tensor, mask_ratio: float = 0.0, noise: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor], None]:
        x = self.patch_embed(x)  # (B, L, D)
        mask = None
        if mask_ratio > 0:
            if noise is None:
                noise = torch.rand(x.shape[:2], device=x.device)
            mask = unit_mask(noise.float(), self.grid_size, self.unit, mask_ratio)  # float32: the loss counts it
            m = mask.unsqueeze(-1).to(x.dtype)
            x = x * (1 - m) + self.mask_token.to(x.dtype) * m
        x = x + self.pos_embed[:, 1:]
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1)
        for block in self.blocks:
            x = block(x)
        return self.norm(x), mask, None

    def no_weight_decay(self) -> Set[str]:
        return super().no_weight_decay() | {'mask_token'}


@MODELS.register_module()
class SimMIMSwin(MaskedSwin):
    """Swin Transformer (timm's ``SwinTransformer``) for SimMIM: the mask token replaces masked 4-px tokens after the
    patch embedding; the last stage's tokens (stride ``patch_size`` · 2^(stages − 1), 32 for Swin-B) each predict
    one prediction patch, which is also the mask unit (SimMIM's mask patch 32 = the encoder stride).

    Args:
        as ``MaskedSwin`` (timm's ``SwinTransformer``); SimMIM pretrains Swin-B at 192 px with window 6.
    Returns tokens (B, L, C_last) of the last stage, no class token.
    """

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny SimMIMSwin and its objective (``lmdkit.models.example``; the registry-wide test)."""
        return ComponentExample(
            cfg=dict(
                type='SimMIMSwin',
                img_size=16,
                patch_size=2,
                in_channels=3,
                embed_dim=16,
                depths=(1, 1),
                num_heads=(1, 2),
                window_size=4,
            ),  # fmt: skip
            objective=lambda m: weighted_mean(m(example_noise(2, 3, 16, 16), 0.5)),
        )

    def __init__(self, img_size: Union[int, Sequence[int]] = 192, window_size: int = 6, **kwargs) -> None:
        super().__init__(img_size=img_size, window_size=window_size, **kwargs)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, 1, self.embed_dim))
        nn.init.trunc_normal_(self.mask_token, std=0.02)

    def forward(
        self, x: torch.Tensor, mask_ratio: float = 0.0, noise: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor], None]:
        """(B, C, H, W) -> tokens (B, L, C_last), the (B, L) mask of the prediction patches (or None), None.
        ``noise`` is per prediction patch (B, L), as for every LMD backbone."""
        x = self.swin.patch_embed(x)  # (B, h, w, D), 4-px tokens
        mask = None
        if mask_ratio > 0:
            if noise is None:
                noise = torch.rand(x.shape[0], self.num_patches, device=x.device)
            mask = dropped_tokens(noise.float(), mask_ratio)  # (B, L) per prediction patch, float32
            m = patch_mask_to_image(mask, self.grid_size, self.unit).permute(0, 2, 3, 1).to(x.dtype)  # (B, h, w, 1)
            x = x * (1 - m) + self.mask_token.to(x.dtype) * m
        x = self.swin.norm(self.swin.layers(x))  # (B, h', w', C_last)
        return x.flatten(1, 2), mask, None

    def no_weight_decay(self) -> Set[str]:
        """SimMIM exempts the mask token and Swin's relative-position tables from weight decay."""
        return super().no_weight_decay() | {'mask_token'}
