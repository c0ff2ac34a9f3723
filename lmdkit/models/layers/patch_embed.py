"""Patch embedding whose tokens come out contiguous."""

import torch
from timm.layers import PatchEmbed as _TimmPatchEmbed


class PatchEmbed(_TimmPatchEmbed):
    """timm's ``PatchEmbed`` (same arguments, parameters and keys), its (B, N, D) tokens made contiguous.

    timm returns the convolution's (B, D, h, w) output flattened and transposed: a view with D as the fastest-moving
    dimension only in name. Element-wise ops keep their input's layout, so a transformer's whole residual stream
    stayed transposed, and every layer norm (forward and backward) copied it to contiguous memory first: half of a
    DiT-S/2 fp32 CPU step's copies (``tools/analysis/compare_diffusers_dit.py --profile``). One copy here instead.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x).contiguous()
