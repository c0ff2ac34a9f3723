"""Convolutional encoder/decoder of VQGAN (taming-transformers) and Stable Diffusion's VAE (LDM).

Module and parameter names follow the taming/LDM layout (``down.{i}.block.{j}``, ``mid.attn_1.q``, ``up.{i}``…) so
their released checkpoints load as they are; ``lmdkit.fileio.converters`` maps diffusers' names onto it.
"""

from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from .attention import dot_product_attention


def group_norm(channels: int, groups: int = 32) -> nn.GroupNorm:
    """GroupNorm(32, eps=1e-6) as in taming/LDM."""
    if channels % groups:
        raise ValueError(f'{channels} channels are not divisible into {groups} groups; use multiples of {groups}')
    return nn.GroupNorm(groups, channels, eps=1e-6, affine=True)


class ResnetBlock(nn.Module):
    """norm → swish → conv → norm → swish → dropout → conv, plus a 1×1 ``nin_shortcut`` when widths differ."""

    def __init__(self, in_channels: int, out_channels: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.norm1 = group_norm(in_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.norm2 = group_norm(out_channels)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.nin_shortcut = nn.Conv2d(in_channels, out_channels, 1) if in_channels != out_channels else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return (self.nin_shortcut(x) if self.nin_shortcut is not None else x) + h


class AttnBlock(nn.Module):
    """Single-head spatial self-attention with 1×1-conv q, k, v and output projection, plus the residual."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.norm = group_norm(channels)
        self.q, self.k, self.v = (nn.Conv2d(channels, channels, 1) for _ in range(3))
        self.proj_out = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        y = self.norm(x)
        q, k, v = (m(y).reshape(b, 1, c, h * w).transpose(-1, -2) for m in (self.q, self.k, self.v))  # (B, 1, HW, C)
        out = dot_product_attention(q, k, v)  # softmax(q kᵀ / √C) v
        return x + self.proj_out(out.transpose(-1, -2).reshape(b, c, h, w))


class Downsample(nn.Module):
    """Stride-2 3×3 conv after zero-padding right and bottom by one (taming's asymmetric padding)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.pad(x, (0, 1, 0, 1)))


class Upsample(nn.Module):
    """Nearest-neighbour ×2, then a 3×3 conv."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode='nearest'))


def _level(blocks: nn.ModuleList, attns: nn.ModuleList) -> nn.Module:
    level = nn.Module()
    level.block, level.attn = blocks, attns
    return level


def _run_level(level: nn.Module, h: torch.Tensor) -> torch.Tensor:
    """Residual blocks of one resolution level, each followed by its attention block when the level has them."""
    for i, block in enumerate(level.block):
        h = block(h)
        if len(level.attn):
            h = level.attn[i](h)
    return h


def _mid(channels: int, dropout: float) -> nn.Module:
    mid = nn.Module()
    mid.block_1 = ResnetBlock(channels, channels, dropout)
    mid.attn_1 = AttnBlock(channels)
    mid.block_2 = ResnetBlock(channels, channels, dropout)
    return mid


class Encoder(nn.Module):
    """Image (B, in_channels, H, W) -> (B, out_channels, H/2^(L-1), W/2^(L-1)), L = len(ch_mult).

    Args:
        ch: base width; level i has width ch · ch_mult[i].
        num_res_blocks: residual blocks per level.
        attn_resolutions: feature-map sizes (in pixels of the level, for a ``resolution``-sized input) that get
            attention after each residual block; the middle block always has one.
        out_channels: 2 · z for a KL autoencoder (mean and log-variance), z for VQ.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        ch: int = 128,
        ch_mult: Sequence[int] = (1, 2, 4, 4),
        num_res_blocks: int = 2,
        attn_resolutions: Sequence[int] = (),
        resolution: int = 256,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.conv_in = nn.Conv2d(in_channels, ch, 3, padding=1)
        widths = [ch] + [ch * m for m in ch_mult]
        self.down = nn.ModuleList()
        res = resolution
        for i, mult in enumerate(ch_mult):
            blocks, attns = nn.ModuleList(), nn.ModuleList()
            w_in = widths[i]
            for _ in range(num_res_blocks):
                blocks.append(ResnetBlock(w_in, ch * mult, dropout))
                w_in = ch * mult
                if res in attn_resolutions:
                    attns.append(AttnBlock(w_in))
            level = _level(blocks, attns)
            if i != len(ch_mult) - 1:
                level.downsample = Downsample(w_in)
                res //= 2
            self.down.append(level)
        self.mid = _mid(w_in, dropout)
        self.norm_out = group_norm(w_in)
        self.conv_out = nn.Conv2d(w_in, out_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv_in(x)
        for level in self.down:
            h = _run_level(level, h)
            if hasattr(level, 'downsample'):
                h = level.downsample(h)
        h = self.mid.block_2(self.mid.attn_1(self.mid.block_1(h)))
        return self.conv_out(F.silu(self.norm_out(h)))


class Decoder(nn.Module):
    """Latent (B, in_channels, h, w) -> image (B, out_channels, h·2^(L-1), w·2^(L-1)); mirrors ``Encoder``.

    ``up`` is indexed by resolution level (``up[0]`` is the full-resolution level) and run from the deepest level
    up, with ``num_res_blocks + 1`` residual blocks per level, as in taming/LDM.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        ch: int = 128,
        ch_mult: Sequence[int] = (1, 2, 4, 4),
        num_res_blocks: int = 2,
        attn_resolutions: Sequence[int] = (),
        resolution: int = 256,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        levels = len(ch_mult)
        w_in = ch * ch_mult[-1]
        res = resolution // 2 ** (levels - 1)
        self.conv_in = nn.Conv2d(in_channels, w_in, 3, padding=1)
        self.mid = _mid(w_in, dropout)
        ups = []
        for i in reversed(range(levels)):
            blocks, attns = nn.ModuleList(), nn.ModuleList()
            for _ in range(num_res_blocks + 1):
                blocks.append(ResnetBlock(w_in, ch * ch_mult[i], dropout))
                w_in = ch * ch_mult[i]
                if res in attn_resolutions:
                    attns.append(AttnBlock(w_in))
            level = _level(blocks, attns)
            if i != 0:
                level.upsample = Upsample(w_in)
                res *= 2
            ups.insert(0, level)
        self.up = nn.ModuleList(ups)
        self.norm_out = group_norm(w_in)
        self.conv_out = nn.Conv2d(w_in, out_channels, 3, padding=1)

    @property
    def last_layer(self) -> torch.Tensor:
        """Weight of the output conv: the adaptive GAN weight balances gradients here (VQGAN, eq. 7)."""
        return self.conv_out.weight

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.mid.block_2(self.mid.attn_1(self.mid.block_1(self.conv_in(z))))
        for level in reversed(self.up):
            h = _run_level(level, h)
            if hasattr(level, 'upsample'):
                h = level.upsample(h)
        return self.conv_out(F.silu(self.norm_out(h)))
