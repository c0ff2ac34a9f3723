"""Text conditioning of a denoiser: the encoded captions' type, cross-attention to their tokens (PixArt-α: after
self-attention, zero-initialised output) and the embedder that maps them to the denoiser's width."""

from typing import NamedTuple, Optional, Tuple

import torch
import torch.nn as nn
from timm.layers import Mlp

from .attention import dot_product_attention


class TextEmbedding(NamedTuple):
    """An encoded batch of captions (what a text encoder gives and a text-conditioned denoiser takes)."""

    tokens: torch.Tensor  # (B, L, D) per-token states (cross-attention keys and values)
    mask: torch.Tensor  # (B, L) bool: True on real tokens, False on padding
    pooled: torch.Tensor  # (B, D) one vector per caption (adaLN conditioning)


def cat_text(a: TextEmbedding, b: TextEmbedding) -> TextEmbedding:
    """Two embeddings stacked on the batch (classifier-free guidance's [cond; uncond])."""
    return TextEmbedding(*(torch.cat([x, y]) for x, y in zip(a, b)))


#: the context a block attends to: tokens (B, L, D) and the additive key bias (B, 1, 1, L), 0 or −inf
Context = Tuple[torch.Tensor, torch.Tensor]


def text_context(tokens: torch.Tensor, mask: torch.Tensor) -> Context:
    """Caption tokens (B, L, D) and their mask (B, L) -> the cross-attention context: padding as a −inf key bias."""
    bias = torch.zeros(mask.shape, dtype=tokens.dtype, device=tokens.device)
    return tokens, bias.masked_fill(~mask.bool(), float('-inf'))[:, None, None, :]  # (B, 1, 1, L)


class CrossAttention(nn.Module):
    """Multi-head attention from a denoiser's tokens (queries) to a caption's tokens (keys and values), padding
    masked out; a caption without any token contributes nothing (its rows give zeros)."""

    def __init__(self, dim: int, num_heads: int, context_dim: Optional[int] = None) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'CrossAttention: width {dim} is not divisible by {num_heads} heads')
        self.num_heads, self.head_dim = num_heads, dim // num_heads
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(context_dim or dim, 2 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, context: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q = self.q(x).reshape(b, n, self.num_heads, self.head_dim).transpose(1, 2)  # (B, h, N, d)
        k, v = self.kv(context).reshape(b, -1, 2, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)  # (B, h, L, d)
        empty = torch.isinf(bias).all(-1, keepdim=True)  # (B, 1, 1, 1): no token to attend to
        out = dot_product_attention(q, k, v, bias.masked_fill(empty, 0.0).to(q.dtype))
        out = out.masked_fill(empty, 0.0)
        return self.proj(out.transpose(1, 2).reshape(b, n, d))


class TextEmbedder(nn.Module):
    """Caption embedding -> the denoiser's width: its tokens through PixArt-α's caption MLP (the cross-attention
    context, with the padding as a −inf key bias) and its pooled vector through an MLP added to the timestep
    embedding (adaLN)."""

    def __init__(self, text_dim: int, hidden_size: int) -> None:
        super().__init__()
        self.text_dim = text_dim
        self.token_proj = Mlp(text_dim, hidden_size, hidden_size, act_layer=lambda: nn.GELU(approximate='tanh'))
        self.pooled_proj = Mlp(text_dim, hidden_size, hidden_size, act_layer=nn.SiLU)

    def check(self, text) -> TextEmbedding:
        if not isinstance(text, TextEmbedding):
            raise ValueError(f'a text-conditioned denoiser takes a TextEmbedding as its condition, got '
                             f'{type(text).__name__} (MaskedDiffusion encodes captions with its '
                             'text_encoder)')  # fmt: skip
        if text.tokens.shape[-1] != self.text_dim:
            raise ValueError(f'text tokens of width {text.tokens.shape[-1]}, but the denoiser was built for '
                             f'text_dim={self.text_dim} (set it to the text encoder\'s dim)')  # fmt: skip
        return text

    def pooled(self, text: TextEmbedding) -> torch.Tensor:
        return self.pooled_proj(self.check(text).pooled)  # (B, D)

    def context(self, text: TextEmbedding) -> Context:
        text = self.check(text)
        return text_context(self.token_proj(text.tokens), text.mask)  # (B, L, D), (B, 1, 1, L)
