"""Multi-head self-attention through ``F.scaled_dot_product_attention`` with a relative-position bias as its mask."""

from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .rel_pos_bias import RelativePositionBias


class RelPosAttention(nn.Module):
    """Fused-qkv attention over tokens of an H×W grid, biased by a learned relative-position table (MDT).

    Keys ``qkv``, ``proj`` and ``rel_pos_bias.*`` match the official MDT blocks.
    """

    def __init__(self, dim: int, num_heads: int, grid_size: Tuple[int, int], qkv_bias: bool = True) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'width {dim} is not divisible by {num_heads} heads')
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.rel_pos_bias = RelativePositionBias(grid_size, num_heads)

    def forward(self, x: torch.Tensor, ids_keep: Optional[torch.Tensor] = None) -> torch.Tensor:
        """x (B, n, D): all N tokens, or the kept ones whose grid positions are ``ids_keep`` (B, n)."""
        b, n, d = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.num_heads, d // self.num_heads).permute(2, 0, 3, 1, 4)
        bias = self.rel_pos_bias(ids_keep).to(q.dtype)  # (1 or B, heads, n, n), added to q·kᵀ/√d
        x = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        return self.proj(x.transpose(1, 2).reshape(b, n, d))
