"""MAE's lightweight pretraining decoder: fills mask tokens back in and predicts every patch; optionally attending
to a caption (text-conditioned LMD)."""

import math
from functools import partial
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from timm.models.vision_transformer import Block

from lmdkit.registry import MODELS

from ..example import ComponentExample, example_noise, weighted_mean
from ..layers import Attention, Context, CrossAttention, get_2d_sincos_pos_embed, init_vit_weights


class DecoderCrossAttention(nn.Module):
    """Pre-norm cross-attention of the decoder's tokens to a caption's tokens, residual, output zero at init (the
    decoder starts as MAE's)."""

    def __init__(self, dim: int, num_heads: int, text_dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.attn = CrossAttention(dim, num_heads, text_dim)

    def forward(self, x: torch.Tensor, context: Context) -> torch.Tensor:
        return x + self.attn(self.norm(x), *context)


@MODELS.register_module()
class MAEPretrainDecoder(BaseModule):
    """Decoder of MAE / LMD.

    Args:
        grid_size: token grid (h, w) of the encoder.
        patch_size: patch side; the prediction per token has ``patch_size² · out_channels`` values.
        out_channels: channels of the reconstructed input (image or latent).
        in_dim: encoder width. ``decoder_embed`` maps it to ``embed_dim`` (LMD's "latent linear layer").
        embed_dim, depth, num_heads, mlp_ratio: decoder transformer size.
        negative_pos_embed: subtract the position table instead of adding it (the LMD paper text's "negative SPE"
            and the authors' code); off by default, as in MAE.
        cls_token: the encoder's tokens start with a class token (ViT); False for encoders without one (Swin:
            GreenMIM), whose tokens are all patches and whose position table has no class row.
        expand: each encoder token stands for expand x expand kept patches (UM-MAE's Swin, whose last stage is
            coarser than its compacted grid of kept units): ``decoder_embed`` maps it to expand² embeddings, laid
            out as a pixel shuffle of the encoder's token grid (UM-MAE's ``decoder_expand``), whose aspect is that
            of ``grid_size``. 1: one token per kept patch.
        text_dim: width of caption tokens that every decoder block is followed by cross-attention to (LMD
            generating from a caption; the paper does not say how LMD takes text, this is lmdkit's design); 0 = none.
    """

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny MAEPretrainDecoder and its objective (``lmdkit.models.example``; the registry-wide test)."""
        order = torch.stack([torch.randperm(16, generator=torch.Generator().manual_seed(i)) for i in range(2)])
        return ComponentExample(
            cfg=dict(
                type='MAEPretrainDecoder',
                grid_size=4,
                patch_size=4,
                out_channels=3,
                in_dim=32,
                embed_dim=16,
                depth=1,
                num_heads=2,
            ),  # fmt: skip
            objective=lambda m: weighted_mean(m(example_noise(2, 1 + 8, 32), order)),  # 8 visible tokens + cls
        )

    def __init__(
        self,
        grid_size: Union[int, Sequence[int]],
        patch_size: int,
        out_channels: int,
        in_dim: int = 768,
        embed_dim: int = 512,
        depth: int = 8,
        num_heads: int = 16,
        mlp_ratio: float = 4.0,
        negative_pos_embed: bool = False,
        cls_token: bool = True,
        expand: int = 1,
        text_dim: int = 0,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if expand < 1 or (expand > 1 and cls_token):
            raise ValueError(f'expand must be >= 1, and 1 with a class token (got expand={expand}, '
                             f'cls_token={cls_token})')  # fmt: skip
        self.expand = expand
        self.extra = int(cls_token)  # leading tokens without a patch
        self.grid_size: Tuple[int, int] = (grid_size, grid_size) if isinstance(grid_size, int) else tuple(grid_size)
        self.num_patches = self.grid_size[0] * self.grid_size[1]
        self.embed_dim, self.negative_pos_embed = embed_dim, negative_pos_embed
        norm_layer = partial(nn.LayerNorm, eps=1e-6)
        self.decoder_embed = nn.Linear(in_dim, expand**2 * embed_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        table = torch.zeros(1, self.num_patches + self.extra, embed_dim)
        self.decoder_pos_embed = nn.Parameter(table, requires_grad=False)
        self.decoder_blocks = nn.ModuleList(
            Block(embed_dim, num_heads, mlp_ratio, qkv_bias=True, norm_layer=norm_layer, attn_layer=Attention)
            for _ in range(depth)
        )
        self.text_dim = text_dim
        if text_dim:  # only then: MAE/LMD checkpoints keep their keys
            self.cross_blocks = nn.ModuleList(
                DecoderCrossAttention(embed_dim, num_heads, text_dim) for _ in range(depth)
            )
        self.decoder_norm = norm_layer(embed_dim)
        self.decoder_pred = nn.Linear(embed_dim, patch_size**2 * out_channels)
        self.init_weights()

    def init_weights(self) -> None:
        """Sin-cos positions, N(0, 0.02) mask token, xavier linears (MAE)."""
        if self.is_init:  # done in __init__; the runner's second call must not re-draw the weights
            return
        table = get_2d_sincos_pos_embed(self.embed_dim, self.grid_size, cls_token=bool(self.extra))
        self.decoder_pos_embed.data.copy_(table[None])
        nn.init.normal_(self.mask_token, std=0.02)
        self.apply(init_vit_weights)
        for m in self.modules():
            if isinstance(m, DecoderCrossAttention):
                nn.init.zeros_(m.attn.proj.weight)
                nn.init.zeros_(m.attn.proj.bias)
        if self.init_cfg:
            super().init_weights()  # init_cfg (e.g. Pretrained) on top
        else:
            self._is_init = True  # nothing left for MMEngine to do (and no init report to dump)

    def _pixel_shuffle(self, x: torch.Tensor) -> torch.Tensor:
        """(B, h·w, e²·D) on the encoder's h x w grid -> (B, e·h · e·w, D) in raster order: entry (c, i, j) of a
        token's e x e x D embedding (c major, as ``nn.PixelShuffle`` reads channels) lands at (e·y + i, e·x + j)."""
        b, n, _ = x.shape
        e, (gh, gw) = self.expand, self.grid_size
        h = round(math.sqrt(n * gh / gw))
        w = n // max(h, 1)
        if h * w != n:
            raise ValueError(f'expand={e}: {n} encoder tokens do not form a grid of the aspect of grid_size {gh}x{gw}')
        x = x.reshape(b, h, w, self.embed_dim, e, e).permute(0, 1, 4, 2, 5, 3)
        return x.reshape(b, h * e * w * e, self.embed_dim)

    def forward(
        self, x: torch.Tensor, ids_restore: Optional[torch.Tensor] = None, context: Optional[Context] = None
    ) -> torch.Tensor:
        """(B, 1 + kept, D_enc) encoder tokens (no class token with ``cls_token=False``) -> (B, L, p·p·C) patch
        predictions (class token dropped). ``context``: a caption's tokens and key bias (``text_dim`` > 0)."""
        if (context is not None) != bool(self.text_dim):
            given = 'a' if context is not None else 'no'
            raise ValueError(f'MAEPretrainDecoder(text_dim={self.text_dim}) got {given} caption context: build it '
                             'with text_dim for a text-conditioned LMD, without otherwise')  # fmt: skip
        x = self.decoder_embed(x)  # (B, extra + kept, D)
        if self.expand > 1:
            x = self._pixel_shuffle(x)
        e = self.extra
        if ids_restore is not None:
            b, length = ids_restore.shape
            mask_tokens = self.mask_token.expand(b, length + e - x.shape[1], -1)
            body = torch.cat([x[:, e:], mask_tokens], dim=1)  # (B, L, D) in shuffled order
            body = torch.gather(body, 1, ids_restore.unsqueeze(-1).expand(-1, -1, x.shape[-1]))  # unshuffle
            x = torch.cat([x[:, :e], body], dim=1)  # (B, extra + L, D)
        x = x - self.decoder_pos_embed if self.negative_pos_embed else x + self.decoder_pos_embed
        for i, block in enumerate(self.decoder_blocks):
            x = block(x)
            if context is not None:
                x = self.cross_blocks[i](x, context)
        return self.decoder_pred(self.decoder_norm(x))[:, e:]  # (B, L, p·p·C)
