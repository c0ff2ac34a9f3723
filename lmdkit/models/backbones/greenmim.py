"""GreenMIM's encoder (Huang et al., 2022, "Green Hierarchical Vision Transformer for Masked Image Modeling"): a Swin
Transformer that, like MAE's ViT, runs on the visible tokens only.

Masks are drawn per unit of the last stage (32 px for Swin-B: a whole 8x8 block of 4-px tokens), so every 2x2
patch merging finds its four tokens visible or dropped together. Window attention becomes *group window attention*:
the visible tokens attend to the visible tokens of their own (shifted) window, with Swin's relative-position bias
taken at their true grid offsets. GreenMIM packs windows into groups (a knapsack) to save compute; here every stage
runs on all visible tokens at once with the window mask (the official code's "masking" mode, which it uses for small
token counts): the same outputs, more attention FLOPs on the first stage. With nothing masked the encoder is timm's
``SwinTransformer`` (tested), whose parameters and names it uses.
"""

from typing import Optional, Tuple

import torch
import torch.nn as nn

from lmdkit.registry import MODELS

from ..example import ComponentExample, example_noise, weighted_mean
from ..layers import dot_product_attention, num_kept, random_masking
from .swin_mim import MaskedSwin


def window_layout(coords: torch.Tensor, window: int, shift: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """For tokens at grid ``coords`` (n, 2) under (shifted) windows: (n, n) indices into Swin's relative-position
    table at their true offsets, and (n, n) True where two tokens share a window. The same for every block of a
    stage with this window and shift, so computed once per stage."""
    group = torch.div(coords + (window - shift) % window, window, rounding_mode='floor')  # window of each token
    same = (group[:, None, :] == group[None, :, :]).all(-1)
    offset = (coords[:, None, :] - coords[None, :, :]).clamp(-(window - 1), window - 1) + window - 1
    return offset[..., 0] * (2 * window - 1) + offset[..., 1], same  # Swin's relative_position_index formula


@MODELS.register_module()
class GreenMIMSwin(MaskedSwin):
    """Swin on visible tokens (GreenMIM); follows ``LMD``'s backbone contract with one prediction patch per
    last-stage token (``patch_size`` = the encoder stride).

    Args:
        as ``MaskedSwin`` (timm's ``SwinTransformer``; GreenMIM's Swin-B: 224 px, window 7, its defaults).
    Returns tokens (B, kept units, C_last) in the kept units' order, the (B, L) unit mask and ``ids_restore``.
    """

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny GreenMIMSwin and its objective (``lmdkit.models.example``; the registry-wide test)."""
        return ComponentExample(
            cfg=dict(
                type='GreenMIMSwin',
                img_size=32,
                patch_size=2,
                in_channels=3,
                embed_dim=16,
                depths=(2, 2),
                num_heads=(1, 2),
                window_size=4,
            ),  # fmt: skip
            objective=lambda m: weighted_mean(m(example_noise(2, 3, 32, 32), 0.75)),
        )

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        for i, stage in enumerate(self.swin.layers):
            res = (self.token_grid[0] >> i, self.token_grid[1] >> i)
            for block in stage.blocks:
                (wh, ww), (sh, sw) = block.window_size, block.shift_size
                if wh != ww or sh != sw or res[0] % wh or res[1] % ww:
                    raise ValueError(f'GreenMIMSwin needs square windows that tile every stage: stage {i} is '
                                     f'{res[0]}x{res[1]} tokens with {wh}x{ww} windows; choose img_size, patch_size '
                                     'and window_size so that each stage is a multiple of the window')  # fmt: skip

    def _coords(self, ids_keep: torch.Tensor, side: int) -> torch.Tensor:
        """(n, 2) grid coordinates, at a stage whose units are ``side`` tokens wide, of the tokens of the units
        ``ids_keep`` (k,): unit by unit, each unit's tokens in raster order."""
        gy, gx = ids_keep // self.grid_size[1], ids_keep % self.grid_size[1]
        local = torch.stack(torch.meshgrid(torch.arange(side), torch.arange(side), indexing='ij'), -1).reshape(-1, 2)
        return (torch.stack([gy, gx], -1)[:, None, :] * side + local.to(ids_keep.device)[None]).reshape(-1, 2)

    def _block(self, block: nn.Module, x: torch.Tensor, layout: Tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """One timm ``SwinTransformerBlock`` on visible tokens (B, n, C) with their ``window_layout``: the block's
        relative-position bias within windows, −inf between them."""
        attn, b, n, c = block.attn, *x.shape
        index, same = layout
        # every token shares a window with itself, so no row is all −inf (dot_product_attention's contract)
        bias = attn.relative_position_bias_table[index].permute(2, 0, 1).masked_fill(~same, float('-inf'))
        q, k, v = attn.qkv(block.norm1(x)).reshape(b, n, 3, attn.num_heads, -1).permute(2, 0, 3, 1, 4)
        out = dot_product_attention(q, k, v, bias.to(q.dtype), attn.attn_drop.p if self.training else 0.0)
        x = x + block.drop_path1(attn.proj_drop(attn.proj(out.transpose(1, 2).reshape(b, n, c))))
        return x + block.drop_path2(block.mlp(block.norm2(x)))

    def _merge(self, merging: nn.Module, x: torch.Tensor, units: int, side: int) -> torch.Tensor:
        """timm's ``PatchMerging`` on the visible units: (B, units·side², C) -> (B, units·(side/2)², C')."""
        b, _, c = x.shape
        x = x.reshape(b, units, side // 2, 2, side // 2, 2, c).permute(0, 1, 2, 4, 5, 3, 6)  # timm's (col, row, C)
        return merging.reduction(merging.norm(x.reshape(b, units * (side // 2) ** 2, 4 * c)))

    def forward(
        self, x: torch.Tensor, mask_ratio: float = 0.0, noise: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor], Optional[torch.Tensor]]:
        """(B, C, H, W) -> visible units' last-stage tokens (B, k, C_last), mask (B, L) (None when nothing is
        masked) and ids_restore (B, L) (None likewise); ``noise`` (B, L) is per unit. In training one mask serves
        the whole batch, drawn from the first row of ``noise`` (the official per-batch masking); in evaluation each
        sample gets its own (validation's seeded masks, iterative unmasking), one sample at a time."""
        if not mask_ratio:
            return self._encode(self.swin.patch_embed(x), torch.arange(self.num_patches, device=x.device)), None, None
        b = x.shape[0]
        if noise is None:
            noise = torch.rand(b, self.num_patches, device=x.device)
        if not self.training and b > 1:
            outs = [self.forward(x[i : i + 1], mask_ratio, noise[i : i + 1]) for i in range(b)]
            return tuple(torch.cat(parts) for parts in zip(*outs))
        noise = noise[:1]
        _, mask, ids_restore = random_masking(noise.new_zeros(1, self.num_patches, 1), mask_ratio, noise)
        ids_keep = torch.argsort(ids_restore[0])[: num_kept(self.num_patches, mask_ratio)]
        tokens = self._encode(self.swin.patch_embed(x), ids_keep)
        return tokens, mask.expand(b, -1), ids_restore.expand(b, -1)

    def _encode(self, x: torch.Tensor, ids_keep: torch.Tensor) -> torch.Tensor:
        """The stages on the tokens of the units ``ids_keep`` of the embedded input (B, h, w, D) -> (B, k, C_last)."""
        side = self.unit
        coords = self._coords(ids_keep, side)  # (n, 2) on the first-stage grid
        x = x[:, coords[:, 0], coords[:, 1]]  # (B, n, D): the visible tokens, unit by unit
        for stage in self.swin.layers:
            if not isinstance(stage.downsample, nn.Identity):
                x = self._merge(stage.downsample, x, len(ids_keep), side)
                side //= 2
                coords = self._coords(ids_keep, side)
            layouts = {}  # per (window, shift): plain and shifted blocks alternate
            for block in stage.blocks:
                key = (block.window_size[0], block.shift_size[0])
                if key not in layouts:
                    layouts[key] = window_layout(coords, *key)
                x = self._block(block, x, layouts[key])
        return self.swin.norm(x)
