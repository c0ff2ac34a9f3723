"""Multi-head self-attention: one dispatching kernel call, timm-compatible fused-qkv attention, and MDT's
relative-position variant (its bias passed as the attention mask)."""

from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.models.vision_transformer import Attention as _TimmAttention

from .rel_pos_bias import RelativePositionBias

#: Longest sequence for which half-precision CPU attention runs as two batched matmuls (the N×N scores of a
#: batch stay small); longer ones go to the fused kernel.
CPU_HALF_MATMUL_MAX_TOKENS = 1024


def dot_product_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    bias: Optional[torch.Tensor] = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
) -> torch.Tensor:
    """softmax(q·kᵀ/√d + bias)·v for (..., heads, N, d) tensors, through ``F.scaled_dot_product_attention``.

    Two exceptions on CPU take two batched matmuls instead:

    - bf16/fp16 tensors with at most ``CPU_HALF_MATMUL_MAX_TOKENS`` tokens, because PyTorch's fused CPU kernel is
      several times slower there (forward + backward, 128×4 heads×64 tokens×48 in bf16 on 2 cores: 38 ms fused vs
      7 ms as matmuls; ``tools/analysis/bench_attention.py``), which made attention half of a bf16 DiT step;
    - a ``bias`` that requires grad (MDT's learned relative-position table, Swin's). The fused CPU kernel has no
      bias gradient, so SDPA falls back to its math path, whose "safe" softmax adds three full passes over the
      scores (``isneginf``, ``all``, ``where``) to turn rows that are all −inf into zeros: about 1.5 % of an fp32
      MDTv2-S/2 step (``compare_official_mdt.py --profile``; one call: ``bench_attention.py --bias-grad``).

    On the matmul paths a row that is all −inf gives NaN, not zeros: callers keep a finite entry in every row (a
    token always sees itself). CUDA always uses the fused kernel. ``is_causal`` adds the causal mask to ``bias``
    (for timm's ``Block`` interface).
    """
    if is_causal:
        n = q.shape[-2]
        causal = torch.full((n, n), float('-inf'), dtype=q.dtype, device=q.device).triu(1)
        bias = causal if bias is None else bias + causal
    half = q.dtype in (torch.bfloat16, torch.float16) and q.shape[-2] <= CPU_HALF_MATMUL_MAX_TOKENS
    learned_bias = bias is not None and bias.requires_grad
    if q.device.type == 'cpu' and (half or learned_bias):
        scores = (q * q.shape[-1] ** -0.5) @ k.transpose(-2, -1)
        if bias is not None:
            scores = scores + bias
        attn = scores.softmax(dim=-1)
        if dropout_p:
            attn = F.dropout(attn, dropout_p)
        return attn @ v
    return F.scaled_dot_product_attention(q, k, v, attn_mask=bias, dropout_p=dropout_p)


def split_heads(qkv: torch.Tensor, num_heads: int) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A fused projection's (B, N, 3·D) output -> q, k, v, each (B, heads, N, D/heads): views, no copy.

    Unbinding dim 2 of the (B, N, 3, heads, d) view (rather than dim 0 of a permuted one) makes autograd stack
    the three gradients straight into the projection's layout: one copy in the backward pass instead of two.
    """
    b, n, width = qkv.shape
    q, k, v = qkv.reshape(b, n, 3, num_heads, width // (3 * num_heads)).unbind(2)
    return q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)


class Attention(_TimmAttention):
    """timm's ViT attention (same arguments, parameters and keys: ``qkv``, ``proj``) on ``dot_product_attention``.

    Used by DiT blocks and, as timm ``Block``'s ``attn_layer``, by the MAE encoder and decoder.
    """

    def forward(
        self, x: torch.Tensor, attn_mask: Optional[torch.Tensor] = None, is_causal: bool = False
    ) -> torch.Tensor:
        b, n, _ = x.shape
        gate = self.gate(x).sigmoid() if self.gate is not None else None  # timm's gated variant
        q, k, v = split_heads(self.qkv(x), self.num_heads)
        q, k = self.q_norm(q), self.k_norm(k)
        x = dot_product_attention(q, k, v, attn_mask, self.attn_drop.p if self.training else 0.0, is_causal)
        x = self.norm(x.transpose(1, 2).reshape(b, n, self.attn_dim))
        if gate is not None:
            x = x * gate
        return self.proj_drop(self.proj(x))


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
        q, k, v = split_heads(self.qkv(x), self.num_heads)
        bias = self.rel_pos_bias(ids_keep).to(q.dtype)  # (1 or B, heads, n, n), added to q·kᵀ/√d
        x = dot_product_attention(q, k, v, bias)
        return self.proj(x.transpose(1, 2).reshape(b, n, d))
