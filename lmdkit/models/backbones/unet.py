"""ADM-style U-Net denoiser (Dhariwal & Nichol, 2021): residual blocks with a timestep/class embedding
(scale-shift norm), self-attention at chosen resolutions, skip connections; the latent-diffusion baseline. With
``text_dim``, LDM/Stable Diffusion's text conditioning: cross-attention to the caption's tokens after each
self-attention.
"""

import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from lmdkit.registry import MODELS

from ..example import ComponentExample, denoiser_objective
from ..layers import (
    Context,
    CrossAttention,
    LabelEmbedder,
    TextEmbedding,
    TimestepEmbedder,
    dot_product_attention,
    text_context,
)


def group_norm(channels: int) -> nn.GroupNorm:
    """GroupNorm with ADM's 32 groups, or the largest divisor of ``channels`` below it for narrow layers."""
    return nn.GroupNorm(math.gcd(32, channels), channels)


def zero_module(module: nn.Module) -> nn.Module:
    for p in module.parameters():
        nn.init.zeros_(p)
    return module


class ResBlock(nn.Module):
    """GN-SiLU-conv, the embedding as per-channel scale and shift of the second norm (or added before it),
    GN-SiLU-dropout-conv (zero init), plus a 1x1 skip when the width changes."""

    def __init__(
        self, channels: int, emb_channels: int, out_channels: int, dropout: float = 0.0, scale_shift: bool = True
    ) -> None:
        super().__init__()
        self.scale_shift = scale_shift
        self.in_layers = nn.Sequential(group_norm(channels), nn.SiLU(), nn.Conv2d(channels, out_channels, 3, padding=1))
        emb_out = 2 * out_channels if scale_shift else out_channels
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb_channels, emb_out))
        self.out_norm = group_norm(out_channels)
        self.out_layers = nn.Sequential(
            nn.SiLU(), nn.Dropout(dropout), zero_module(nn.Conv2d(out_channels, out_channels, 3, padding=1))
        )
        self.skip = nn.Identity() if channels == out_channels else nn.Conv2d(channels, out_channels, 1)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.in_layers(x)
        if self.scale_shift:  # ADM: the embedding scales and shifts the normalised features
            scale, shift = self.emb_layers(emb)[..., None, None].chunk(2, dim=1)  # (B, C, 1, 1) each
            h = self.out_layers(self.out_norm(h) * (1 + scale) + shift)
        else:  # DDPM / iDDPM's LSUN models: the embedding is added before the norm
            h = self.out_layers(self.out_norm(h + self.emb_layers(emb)[..., None, None]))
        return self.skip(x) + h


class AttentionBlock(nn.Module):
    """Multi-head self-attention over the H·W positions (SDPA), zero-initialised output projection."""

    def __init__(self, channels: int, num_heads: int) -> None:
        super().__init__()
        if channels % num_heads:
            raise ValueError(f'{channels} channels do not split into {num_heads} heads')
        self.num_heads = num_heads
        self.norm = group_norm(channels)
        self.qkv = nn.Conv1d(channels, 3 * channels, 1)
        self.proj = zero_module(nn.Conv1d(channels, channels, 1))

    def forward(self, x: torch.Tensor, emb: Optional[torch.Tensor] = None) -> torch.Tensor:
        b, c, h, w = x.shape
        qkv = self.qkv(self.norm(x).reshape(b, c, h * w))  # (B, 3C, N)
        q, k, v = qkv.reshape(b, 3, self.num_heads, c // self.num_heads, h * w).permute(1, 0, 2, 4, 3)  # (B, h, N, d)
        out = dot_product_attention(q, k, v)  # (B, heads, N, d)
        out = out.permute(0, 1, 3, 2).reshape(b, c, h * w)
        return x + self.proj(out).reshape(b, c, h, w)


class SpatialCrossAttention(nn.Module):
    """Cross-attention of a feature map to a caption (the cross-attention of LDM/SD's spatial transformer): the H·W
    normalised positions are the queries, the caption's tokens keys and values (padding masked), the output
    projection starts at zero, residual."""

    def __init__(self, channels: int, num_heads: int, context_dim: int) -> None:
        super().__init__()
        self.norm = group_norm(channels)
        self.attn = CrossAttention(channels, num_heads, context_dim)
        zero_module(self.attn.proj)

    def forward(self, x: torch.Tensor, context: Context) -> torch.Tensor:
        b, c, h, w = x.shape
        q = self.norm(x).reshape(b, c, h * w).transpose(1, 2)  # (B, N, C)
        return x + self.attn(q, *context).transpose(1, 2).reshape(b, c, h, w)


class InputConv(nn.Conv2d):
    """The stem convolution, with the ``(x, emb)`` signature of the other stage layers."""

    def forward(self, x: torch.Tensor, emb: Optional[torch.Tensor] = None) -> torch.Tensor:
        return super().forward(x)


class Downsample(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, stride=2, padding=1)

    def forward(self, x: torch.Tensor, emb: Optional[torch.Tensor] = None) -> torch.Tensor:
        return self.conv(x)


class Upsample(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor, emb: Optional[torch.Tensor] = None) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2, mode='nearest'))


class Stage(nn.ModuleList):
    """Layers applied in order, each given the embedding (cross-attention: the caption context)."""

    def forward(self, x: torch.Tensor, emb: torch.Tensor, context: Optional[Context] = None) -> torch.Tensor:
        for layer in self:
            x = layer(x, context) if isinstance(layer, SpatialCrossAttention) else layer(x, emb)
        return x


@MODELS.register_module()
class UNet(BaseModule):
    """ε_θ(x_t, t, y) as an ADM U-Net.

    Args:
        input_size: spatial side of the (latent) input; must be divisible by 2^(len(channel_mult) − 1).
        in_channels: input channels (latent channels).
        model_channels: width of the first level.
        channel_mult: width multiplier per level (one downsampling between levels).
        num_res_blocks: residual blocks per level (the decoder has one more, as ADM).
        attention_resolutions: downsampling factors at which self-attention follows each residual block.
        num_heads: attention heads.
        num_classes: classes of the condition (0 = unconditional); a null class for guidance when
            ``class_dropout_prob`` > 0.
        learn_sigma: output twice the channels (ε and the variance interpolation).
        out_channels: output channels when they differ from the input's (``MaskedUNet`` feeds a mask channel too).
        use_scale_shift_norm: the embedding scales and shifts each residual block's second norm (ADM); False adds
            it to the features before that norm (DDPM, and iDDPM's LSUN flags).
        text_dim: width of the caption tokens it cross-attends to after each self-attention (needs
            ``num_classes=0``; SD v1: CLIP ViT-L/14's 768); 0 = none.
    """

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny UNet and its objective (``lmdkit.models.example``; the registry-wide test)."""
        return ComponentExample(
            cfg=dict(
                type='UNet',
                input_size=8,
                in_channels=1,
                model_channels=16,
                channel_mult=(1, 2),
                num_res_blocks=1,
                attention_resolutions=(2,),
                num_heads=2,
                num_classes=10,
                learn_sigma=True,
            ),  # fmt: skip
            objective=lambda m: denoiser_objective(m),
        )

    def __init__(
        self,
        input_size: int = 32,
        in_channels: int = 4,
        model_channels: int = 128,
        channel_mult: Sequence[int] = (1, 2, 2, 2),
        num_res_blocks: int = 2,
        attention_resolutions: Sequence[int] = (2, 4),
        num_heads: int = 4,
        dropout: float = 0.0,
        num_classes: int = 0,
        class_dropout_prob: float = 0.1,
        learn_sigma: bool = False,
        out_channels: Optional[int] = None,
        use_scale_shift_norm: bool = True,
        text_dim: int = 0,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if text_dim and num_classes:
            raise ValueError(f'a text-conditioned UNet has no classes: set num_classes=0 with text_dim={text_dim}')
        self.text_dim = text_dim
        if input_size % 2 ** (len(channel_mult) - 1):
            raise ValueError(f'input_size {input_size} is not divisible by 2^{len(channel_mult) - 1}')
        self.input_size, self.in_channels, self.num_classes = input_size, in_channels, num_classes
        self.learn_sigma = learn_sigma
        base = out_channels if out_channels is not None else in_channels
        self.out_channels = base * 2 if learn_sigma else base
        emb = 4 * model_channels
        self.time_embed = TimestepEmbedder(emb, frequency_size=model_channels)
        self.label_embed = LabelEmbedder(num_classes, emb, class_dropout_prob) if num_classes > 0 else None
        self.input_blocks = nn.ModuleList([Stage([InputConv(in_channels, model_channels, 3, padding=1)])])
        widths, ch, ds = [model_channels], model_channels, 1
        for level, mult in enumerate(channel_mult):
            for _ in range(num_res_blocks):
                layers = [ResBlock(ch, emb, mult * model_channels, dropout, use_scale_shift_norm)]
                ch = mult * model_channels
                if ds in attention_resolutions:
                    layers += self._attention(ch, num_heads)
                self.input_blocks.append(Stage(layers))
                widths.append(ch)
            if level != len(channel_mult) - 1:
                self.input_blocks.append(Stage([Downsample(ch)]))
                widths.append(ch)
                ds *= 2
        res = dict(dropout=dropout, scale_shift=use_scale_shift_norm)
        self.middle_block = Stage([ResBlock(ch, emb, ch, **res), *self._attention(ch, num_heads),
                                   ResBlock(ch, emb, ch, **res)])  # fmt: skip
        self.output_blocks = nn.ModuleList()
        for level, mult in list(enumerate(channel_mult))[::-1]:
            for i in range(num_res_blocks + 1):
                layers = [ResBlock(ch + widths.pop(), emb, mult * model_channels, dropout, use_scale_shift_norm)]
                ch = mult * model_channels
                if ds in attention_resolutions:
                    layers += self._attention(ch, num_heads)
                if level and i == num_res_blocks:
                    layers.append(Upsample(ch))
                    ds //= 2
                self.output_blocks.append(Stage(layers))
        self.out = nn.Sequential(group_norm(ch), nn.SiLU(), zero_module(nn.Conv2d(ch, self.out_channels, 3, padding=1)))
        if self.label_embed is not None:
            nn.init.normal_(self.label_embed.embedding_table.weight, std=0.02)

    def _attention(self, channels: int, num_heads: int) -> list:
        """Self-attention, then (text-conditioned) cross-attention to the caption."""
        layers = [AttentionBlock(channels, num_heads)]
        if self.text_dim:
            layers.append(SpatialCrossAttention(channels, num_heads, self.text_dim))
        return layers

    @property
    def null_label(self) -> int:
        return self.num_classes

    @property
    def latent_shape(self) -> Tuple[int, int, int]:
        """(C, H, W) of the inputs it denoises."""
        return self.in_channels, self.input_size, self.input_size

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: Optional[torch.Tensor] = None) -> torch.Tensor:
        """(B, C, H, W) noisy input, (B,) timesteps, (B,) labels (text-conditioned: a ``TextEmbedding``) ->
        (B, C_out, H, W)."""
        emb = self.time_embed(t)
        context = None
        if self.text_dim:
            if not isinstance(y, TextEmbedding) or y.tokens.shape[-1] != self.text_dim:
                raise ValueError(f'a text-conditioned UNet takes a TextEmbedding of width {self.text_dim} as its '
                                 f'condition, got {type(y).__name__} (MaskedDiffusion encodes captions with its '
                                 'text_encoder)')  # fmt: skip
            context = text_context(y.tokens, y.mask)
        elif self.label_embed is not None:
            if y is None:
                raise ValueError('a class-conditional UNet needs labels y (pass the null label for unconditional)')
            emb = emb + self.label_embed(y)
        skips, h = [], x
        for stage in self.input_blocks:
            h = stage(h, emb, context)
            skips.append(h)
        h = self.middle_block(h, emb, context)
        for stage in self.output_blocks:
            h = stage(torch.cat([h, skips.pop()], dim=1), emb, context)
        return self.out(h)
