"""A small trainable text encoder for CPU-sized text-to-image runs: UTF-8 bytes through a few transformer blocks."""

from typing import Dict, Sequence

import torch
import torch.nn as nn
from timm.models.vision_transformer import Block

from lmdkit.models.layers.attention import Attention
from lmdkit.registry import TEXT_ENCODERS

from .base import BaseTextEncoder, TextEmbedding, masked_mean

PAD = 0  # byte b is token b + 1, so 0 is free for padding
BOS = 257  # first in every caption: the empty caption (classifier-free guidance's) is one token, not none


@TEXT_ENCODERS.register_module()
class ByteTextEncoder(BaseTextEncoder):
    """Captions as a start token and UTF-8 bytes (258 ids, no vocabulary file), a learned position embedding,
    ``depth`` pre-norm transformer blocks with padding masked out, a final layer norm. ``pooled`` is the mean of the
    real tokens.
    Trained with the model (``frozen=False``); for the Fashion-MNIST captions, whose words are few and short.

    Args:
        dim, depth, num_heads, mlp_ratio: the transformer's size.
        max_length: tokens per caption, the start token included (longer captions are cut).
    """

    def __init__(self, dim: int = 128, depth: int = 2, num_heads: int = 4, mlp_ratio: float = 4.0,
                 max_length: int = 64, frozen: bool = False) -> None:  # fmt: skip
        super().__init__()
        self.dim, self.max_length, self.frozen = dim, max_length, frozen
        self.token_embed = nn.Embedding(258, dim, padding_idx=PAD)
        self.pos_embed = nn.Parameter(torch.zeros(1, max_length, dim))
        self.blocks = nn.ModuleList(
            Block(dim, num_heads, mlp_ratio, qkv_bias=True, attn_layer=Attention) for _ in range(depth)
        )
        self.norm = nn.LayerNorm(dim)
        self.reset_parameters()
        if frozen:
            self.freeze()

    def reset_parameters(self) -> None:
        nn.init.normal_(self.token_embed.weight, std=0.02)
        with torch.no_grad():
            self.token_embed.weight[PAD].zero_()
        nn.init.normal_(self.pos_embed, std=0.02)
        for m in self.blocks.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def tokenize(self, captions: Sequence[str]) -> Dict[str, torch.Tensor]:
        ids = torch.full((len(captions), self.max_length), PAD, dtype=torch.long)
        for i, caption in enumerate(captions):
            data = caption.encode('utf-8')[: self.max_length - 1]
            ids[i, 0] = BOS
            ids[i, 1 : 1 + len(data)] = torch.tensor(list(data), dtype=torch.long) + 1
        ids = ids.to(self.device)
        return dict(input_ids=ids, attention_mask=(ids != PAD).long())

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> TextEmbedding:
        mask = attention_mask.bool()  # (B, L)
        x = self.token_embed(input_ids) + self.pos_embed[:, : input_ids.shape[1]]  # (B, L, D)
        # additive key mask (B, 1, 1, L): padding is never attended to (every caption has its start token)
        bias = torch.zeros(mask.shape, dtype=x.dtype, device=x.device).masked_fill(~mask, float('-inf'))
        bias = bias[:, None, None, :]
        for block in self.blocks:
            x = block(x, attn_mask=bias)
        tokens = self.norm(x)
        return TextEmbedding(tokens=tokens, mask=mask, pooled=masked_mean(tokens, mask))
