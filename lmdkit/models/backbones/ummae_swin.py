"""UM-MAE's pyramid encoder (Li et al., 2022, "Uniform Masking", §3 and its Swin code): uniform sampling keeps one
mask unit of every 2x2 block, and the kept units are *compacted* into an image of half the side, on which an
ordinary window-attention Swin runs; secondary masking swaps a share of the kept units for a learnable token.

Compaction puts units that are not neighbours in the image next to each other, so this Swin has no relative-position
table: each window's bias is a small MLP of the tokens' true offsets in the original grid (log-spaced), which also
makes the same weights valid on the full grid for fine-tuning. Patch merging is a pre-norm 2x2 strided convolution,
and positions halve with it. Without masking the encoder runs on the whole grid (fine-tuning, probing).
"""

import math
from functools import partial
from typing import Dict, List, Optional, Sequence, Set, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule, initialize
from timm.layers import DropPath, Mlp

from lmdkit.registry import MODELS

from ..example import ComponentExample, example_noise, weighted_mean
from ..layers import dot_product_attention, dropped_tokens, random_masking
from .ummae import UNIFORM_RATIO, uniform_sampling_noise

LayerNorm = partial(nn.LayerNorm, eps=1e-6)  # embedding, merging and final norms; the blocks' keep torch's 1e-5
SHIFT_MASK = -100.0  # Swin's additive mask between regions a cyclic shift brought into one window


def log_offsets(pos: torch.Tensor) -> torch.Tensor:
    """(W, N, 2) token positions of W windows -> (W, N, N, 2) offsets ``pos[j] - pos[i]`` (query i, key j), log-spaced
    as ``sign(d) · log(1 + |d|)``: the input of the position MLP."""
    d = pos[:, None, :, :] - pos[:, :, None, :]
    return torch.sign(d) * torch.log1p(d.abs())


class PosMLPWindowAttention(nn.Module):
    """Multi-head attention within windows, biased by ``posmlp`` (2 -> posmlp_dim -> heads) of the log-spaced
    offsets between the tokens' true positions."""

    def __init__(self, dim: int, num_heads: int, posmlp_dim: int = 32) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.posmlp = nn.Sequential(nn.Linear(2, posmlp_dim), nn.ReLU(), nn.Linear(posmlp_dim, num_heads))

    def forward(self, x: torch.Tensor, pos: torch.Tensor, shift_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """x (W, N, C) tokens of W = batch · nW windows; pos (Wp, N, 2) their positions, per window of every sample
        (Wp = W) or of one grid all samples share (Wp = nW: the bias is computed once, as UM-MAE's fine-tuning
        does); shift_mask (nW, N, N) additive or None -> (W, N, C)."""
        w, n, c = x.shape
        wp = pos.shape[0]
        bias = self.posmlp(log_offsets(pos)).permute(0, 3, 1, 2)  # (Wp, heads, N, N)
        if shift_mask is not None:
            nw = shift_mask.shape[0]
            bias = (bias.reshape(wp // nw, nw, self.num_heads, n, n) + shift_mask[None, :, None]).reshape_as(bias)
        q, k, v = self.qkv(x).reshape(w // wp, wp, n, 3, self.num_heads, -1).permute(3, 0, 1, 4, 2, 5)
        out = dot_product_attention(q, k, v, bias.to(q.dtype))  # bias broadcast over samples
        return self.proj(out.transpose(2, 3).reshape(w, n, c))


def window_partition(x: torch.Tensor, window: int) -> torch.Tensor:
    """(B, H, W, C) -> (B · nW, window², C), windows in raster order."""
    b, h, w, c = x.shape
    x = x.reshape(b, h // window, window, w // window, window, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, window * window, c)


def window_reverse(windows: torch.Tensor, window: int, h: int, w: int) -> torch.Tensor:
    """Inverse of ``window_partition``: (B · nW, window², C) -> (B, H, W, C)."""
    c = windows.shape[-1]
    x = windows.reshape(-1, h // window, w // window, window, window, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, h, w, c)


def shift_mask(h: int, w: int, window: int, shift: int, device: torch.device) -> torch.Tensor:
    """(nW, window², window²) additive mask of a cyclically shifted grid: ``SHIFT_MASK`` between tokens that came
    from different regions of the unshifted image (Swin, §3.2)."""
    region = torch.zeros(h, w, device=device)
    label = 0
    for rows in (slice(0, -window), slice(-window, -shift), slice(-shift, None)):
        for cols in (slice(0, -window), slice(-window, -shift), slice(-shift, None)):
            region[rows, cols] = label
            label += 1
    windows = window_partition(region[None, :, :, None], window).squeeze(-1)  # (nW, window²)
    same = windows[:, None, :] == windows[:, :, None]
    return torch.zeros_like(same, dtype=torch.float).masked_fill(~same, SHIFT_MASK)


class UMSwinBlock(nn.Module):
    """A Swin block with position-MLP attention. ``shifted`` blocks shift by half a window; on a grid no larger
    than the window the window shrinks to the grid and nothing shifts (Swin's rule), decided per call because the
    same block sees the compacted grid in pretraining and the full one in fine-tuning."""

    def __init__(
        self, dim: int, num_heads: int, window_size: int, shifted: bool, mlp_ratio: float, posmlp_dim: int,
        drop_path: float,
    ) -> None:  # fmt: skip
        super().__init__()
        self.window_size, self.shifted = window_size, shifted
        self.norm1 = nn.LayerNorm(dim)
        self.attn = PosMLPWindowAttention(dim, num_heads, posmlp_dim)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def layout(self, h: int, w: int) -> Tuple[int, int]:
        """(window, shift) on an h x w grid."""
        if min(h, w) <= self.window_size:
            return min(h, w), 0
        return self.window_size, self.window_size // 2 if self.shifted else 0

    def forward(self, x: torch.Tensor, pos: torch.Tensor, masks: Dict) -> torch.Tensor:
        """x (B, H, W, C), pos (B, H, W, 2) -> (B, H, W, C); ``masks`` caches the shift masks of one forward."""
        b, h, w, c = x.shape
        window, shift = self.layout(h, w)
        if h % window or w % window:
            raise ValueError(f'a {h}x{w} token grid does not tile into {window}x{window} windows: choose img_size, '
                             'patch_size and window_size so that every stage (compacted and full) is a multiple of '
                             'the window')  # fmt: skip
        y, p = self.norm1(x), pos
        mask = None
        if shift:
            y, p = (torch.roll(t, (-shift, -shift), dims=(1, 2)) for t in (y, p))
            key = (h, w, window, shift)
            if key not in masks:
                masks[key] = shift_mask(h, w, window, shift, x.device)
            mask = masks[key]
        y = self.attn(window_partition(y, window), window_partition(p, window), mask)
        y = window_reverse(y, window, h, w)
        if shift:
            y = torch.roll(y, (shift, shift), dims=(1, 2))
        x = x + self.drop_path(y)
        return x + self.drop_path(self.mlp(self.norm2(x)))


class PatchMerge(nn.Module):
    """UM-MAE's downsampling: LayerNorm, then a 2x2 convolution of stride 2; positions keep every second row and
    column and halve, staying in units of this stage's tokens."""

    def __init__(self, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.norm = LayerNorm(in_dim)
        self.proj = nn.Conv2d(in_dim, out_dim, kernel_size=2, stride=2)

    def forward(self, x: torch.Tensor, pos: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """x (B, H, W, C), pos (B, H, W, 2) -> (B, H/2, W/2, C'), (B, H/2, W/2, 2)."""
        x = self.proj(self.norm(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        return x, pos[:, ::2, ::2] / 2


class UMSwinStage(nn.Module):
    """An optional ``downsample`` (``PatchMerge``), then blocks alternating plain and shifted windows."""

    def __init__(self, downsample: Optional[nn.Module], blocks: List[nn.Module]) -> None:
        super().__init__()
        self.downsample = downsample
        self.blocks = nn.ModuleList(blocks)


@MODELS.register_module()
class UMMAESwin(BaseModule):
    """UM-MAE's Swin (its ``MaskedAutoencoderSwin`` encoder) on ``LMD``'s backbone contract: the prediction patch
    is a mask unit (``unit_size`` px, 16 in UM-MAE), ``grid_size`` the unit grid. Pair it with
    ``MAEPretrainDecoder(cls_token=False, expand=E)``, E = 2^(stages − 1) / (unit_size / patch_size): the last
    stage holds one token per E x E kept units of the compacted grid, and the decoder expands each (UM-MAE's
    ``decoder_expand``).

    Args:
        img_size: input side (UM-MAE: 256).
        patch_size: side of a first-stage token (4).
        in_channels: input channels.
        unit_size: side of a mask unit; a multiple of ``patch_size`` (16).
        embed_dim, depths, num_heads, mlp_ratio: Swin size (Swin-T: 96, (2, 2, 6, 2), (3, 6, 12, 24), 4).
        window_size: window side (UM-MAE pretrains with 8 on the 32x32 compacted grid; 16 when fine-tuning on 64x64).
        posmlp_dim: hidden width of the position MLP (32; 64 for its Swin-L variant).
        secondary_ratio: share of the kept units replaced by ``vis_mask_token`` in training (UM-MAE: 0.25; an exact
            count, ``int(n · (1 − r))`` stay). Evaluation uses none.
        drop_path_rate: stochastic depth, rising linearly over the blocks (0 in pretraining).
        init_cfg: e.g. a ``PretrainedEncoder`` to start a classifier from a UM-MAE pretraining checkpoint.

    ``forward(x, mask_ratio, noise)``: mask_ratio 0 runs the whole grid and returns its last-stage tokens
    (B, L_last, C_last), None, None; 0.75 (uniform sampling, the only ratio it defines) returns the compacted last
    stage (B, kept / E², C_last), the unit mask (B, L) (1 = dropped) and ``ids_restore`` (B, L) that puts the
    decoder's kept units — in the compacted grid's order, block by block — back in place.
    """

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny UMMAESwin and its objective (``lmdkit.models.example``; the registry-wide test)."""
        return ComponentExample(
            cfg=dict(
                type='UMMAESwin',
                img_size=32,
                patch_size=2,
                in_channels=3,
                unit_size=4,
                embed_dim=16,
                depths=(2, 2),
                num_heads=(1, 2),
                window_size=4,
            ),  # fmt: skip
            objective=lambda m: weighted_mean(m(example_noise(2, 3, 32, 32), 0.75)),
        )

    def __init__(
        self,
        img_size: Union[int, Sequence[int]] = 256,
        patch_size: int = 4,
        in_channels: int = 3,
        unit_size: int = 16,
        embed_dim: int = 96,
        depths: Sequence[int] = (2, 2, 6, 2),
        num_heads: Sequence[int] = (3, 6, 12, 24),
        window_size: int = 8,
        posmlp_dim: int = 32,
        mlp_ratio: float = 4.0,
        secondary_ratio: float = 0.25,
        drop_path_rate: float = 0.0,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        size = (img_size, img_size) if isinstance(img_size, int) else tuple(img_size)
        if unit_size % patch_size or any(s % (2 * unit_size) for s in size):
            raise ValueError(f'UMMAESwin needs unit_size ({unit_size}) a multiple of patch_size ({patch_size}) '
                             f'and img_size {size} a multiple of 2 x unit_size (uniform sampling takes 2x2 '
                             'units)')  # fmt: skip
        if len(depths) != len(num_heads):
            raise ValueError(f'depths {tuple(depths)} and num_heads {tuple(num_heads)} need one entry per stage')
        if not 0.0 <= secondary_ratio < 1.0:
            raise ValueError(f'secondary_ratio must be in [0, 1), got {secondary_ratio}')
        self.in_channels, self.embed_dim, self.secondary_ratio = in_channels, embed_dim, secondary_ratio
        self.unit = unit_size // patch_size  # first-stage tokens per unit side
        self.token_grid: Tuple[int, int] = (size[0] // patch_size, size[1] // patch_size)
        self.patch_size = unit_size  # the prediction patch of LMD's contract
        self.grid_size: Tuple[int, int] = (size[0] // unit_size, size[1] // unit_size)
        self.num_patches = self.grid_size[0] * self.grid_size[1]
        self.stage_depths = tuple(depths)
        self.depth = sum(self.stage_depths)
        self.out_dim, self.num_prefix_tokens = embed_dim * 2 ** (len(depths) - 1), 0

        self.patch_embed = nn.Conv2d(in_channels, embed_dim, kernel_size=patch_size, stride=patch_size)
        self.patch_norm = LayerNorm(embed_dim)
        self.vis_mask_token = nn.Parameter(torch.zeros(1, 1, 1, embed_dim))
        rates = torch.linspace(0, drop_path_rate, self.depth).tolist()
        stages = []
        for i, (depth, heads) in enumerate(zip(depths, num_heads)):
            dim = embed_dim * 2**i
            blocks = [UMSwinBlock(dim, heads, window_size, j % 2 == 1, mlp_ratio, posmlp_dim,
                                  rates[sum(depths[:i]) + j]) for j in range(depth)]  # fmt: skip
            stages.append(UMSwinStage(PatchMerge(dim // 2, dim) if i else None, blocks))
        self.stages = nn.ModuleList(stages)
        self.norm = LayerNorm(self.out_dim)
        self._init_weights()

    def _init_weights(self) -> None:
        """UM-MAE's: xavier-uniform linears with zero bias, unit LayerNorms, He-normal (fan-out) convolutions — the
        position MLPs' layers included, 1x1 convolutions there —, the patch embedding as a linear layer, N(0, 0.02)
        mask token."""
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / (m.kernel_size[0] * m.kernel_size[1] * m.out_channels)))
                nn.init.zeros_(m.bias)
        for name, m in self.named_modules():
            if '.posmlp.' in name and isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / m.out_features))
        nn.init.xavier_uniform_(self.patch_embed.weight.view(self.embed_dim, -1))
        nn.init.normal_(self.vis_mask_token, std=0.02)

    def init_weights(self) -> None:
        """Weights are drawn at construction; only ``init_cfg`` (pretrained weights) is applied here, once."""
        if self.init_cfg and not self.is_init:
            initialize(self, self.init_cfg)
        self._is_init = True

    def forward(
        self, x: torch.Tensor, mask_ratio: float = 0.0, noise: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor], Optional[torch.Tensor]]:
        """See the class docstring; ``noise`` (B, L) per unit picks which unit of each block is kept."""
        if not mask_ratio:
            tokens = self.patch_norm(self.patch_embed(x).permute(0, 2, 3, 1))  # (B, h, w, D)
            _, h, w, _ = tokens.shape
            rows, cols = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device),
                                        indexing='ij')  # fmt: skip
            pos = torch.stack([rows, cols], -1).to(tokens.dtype)[None]  # (1, h, w, 2): one grid for all samples
            return self._encode(tokens, pos), None, None
        if mask_ratio != UNIFORM_RATIO:
            raise ValueError(f'UMMAESwin masks by uniform sampling, ratio {UNIFORM_RATIO}; got mask_ratio={mask_ratio}'
                             ' (use a FixedMaskScheduler(ratio=0.75) and val_mask_ratio=0.75)')  # fmt: skip
        if noise is None:
            noise = torch.rand(x.shape[0], self.num_patches, device=x.device)
        _, mask, _ = random_masking(noise.new_zeros(x.shape[0], self.num_patches, 1), UNIFORM_RATIO,
                                    uniform_sampling_noise(noise, self.grid_size))  # fmt: skip
        tokens, ids_restore = self.forward_mask(x, mask)
        return tokens, mask, ids_restore

    def forward_mask(self, x: torch.Tensor, mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """The masked pass for a given uniform-sampling ``mask`` (B, L), 1 = dropped, exactly one 0 per 2x2 block
        (what ``forward`` draws; UM-MAE's data loader draws its own): (B, kept / E², C_last) tokens and
        ``ids_restore`` (B, L)."""
        tokens = self.patch_norm(self.patch_embed(x).permute(0, 2, 3, 1))  # (B, h, w, D)
        b = tokens.shape[0]
        blocks = mask.reshape(b, self.grid_size[0] // 2, 2, self.grid_size[1] // 2, 2).sum((2, 4))
        if not (blocks == 3).all():
            raise ValueError(
                'UMMAESwin needs a mask that keeps exactly one unit of every 2x2 block (uniform '
                f'sampling); got blocks keeping {sorted(set((4 - blocks).flatten().int().tolist()))} units'
            )
        ids_keep = self._kept_by_block(mask)  # (B, n): the kept unit of each 2x2 block, blocks in raster order
        dropped = torch.argsort(mask, dim=1, stable=True)[:, ids_keep.shape[1] :]  # (B, L - n) ascending
        ids_restore = torch.argsort(torch.cat([ids_keep, dropped], dim=1), dim=1)
        rows, cols = self._compact_coords(ids_keep)  # (B, h/2, w/2) first-stage grid coordinates
        batch = torch.arange(b, device=x.device)[:, None, None]
        compact = tokens[batch, rows, cols]  # (B, h/2, w/2, D)
        if self.training and self.secondary_ratio > 0:
            n = ids_keep.shape[1]
            secondary = dropped_tokens(torch.rand(b, n, device=x.device), self.secondary_ratio)  # (B, n) per unit
            gh, gw = self.grid_size[0] // 2, self.grid_size[1] // 2
            s = secondary.reshape(b, gh, 1, gw, 1).expand(-1, -1, self.unit, -1, self.unit)
            s = s.reshape(b, gh * self.unit, gw * self.unit, 1).to(compact.dtype)
            compact = compact * (1 - s) + self.patch_norm(self.vis_mask_token) * s
        pos = torch.stack([rows, cols], -1).to(compact.dtype)
        return self._encode(compact, pos), ids_restore

    def _kept_by_block(self, mask: torch.Tensor) -> torch.Tensor:
        """(B, L) uniform-sampling mask -> (B, L/4) index of the kept unit of each 2x2 block, blocks in raster
        order: the order of the compacted grid."""
        b = mask.shape[0]
        gh, gw = self.grid_size
        keep = (1 - mask).reshape(b, gh // 2, 2, gw // 2, 2).permute(0, 1, 3, 2, 4).reshape(b, gh // 2, gw // 2, 4)
        choice = keep.argmax(-1)  # 0..3 = dy * 2 + dx
        by = torch.arange(gh // 2, device=mask.device)[:, None]
        bx = torch.arange(gw // 2, device=mask.device)[None, :]
        return ((2 * by + choice // 2) * gw + 2 * bx + choice % 2).reshape(b, -1)

    def _compact_coords(self, ids_keep: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """(B, n) kept units in block order -> first-stage (rows, cols) (B, h/2, w/2) of the compacted grid's
        tokens: block (by, bx)'s unit occupies tokens (by·u .. by·u + u − 1, bx·u ..) of the compacted grid."""
        b, u = ids_keep.shape[0], self.unit
        gh, gw = self.grid_size[0] // 2, self.grid_size[1] // 2
        uy = (ids_keep // self.grid_size[1]).reshape(b, gh, 1, gw, 1)
        ux = (ids_keep % self.grid_size[1]).reshape(b, gh, 1, gw, 1)
        k = torch.arange(u, device=ids_keep.device)
        rows = (uy * u + k[:, None, None]).expand(-1, -1, -1, -1, u).reshape(b, gh * u, gw * u)
        cols = (ux * u + k[None, None, :]).expand(-1, -1, u, -1, -1).reshape(b, gh * u, gw * u)
        return rows, cols

    def _encode(self, x: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        """The stages on a (B, h, w, D) token grid at positions ``pos`` (B, h, w, 2) -> (B, h_last · w_last, C)."""
        masks: Dict = {}
        for stage in self.stages:
            if stage.downsample is not None:
                x, pos = stage.downsample(x, pos)
            for block in stage.blocks:
                x = block(x, pos, masks)
        return self.norm(x.flatten(1, 2))

    def get_layer_id(self, name: str) -> int:
        """Layer ids for layer-wise lr decay, as ``MaskedSwin``'s: the embedding and mask token 0, block j of stage i
        (blocks of the stages before) + j + 1, a stage's merging the id of the block before it, the final norm
        depth + 1."""
        if name.startswith(('patch_embed', 'patch_norm', 'vis_mask_token')):
            return 0
        if name.startswith('stages.'):
            parts = name.split('.')
            before = sum(self.stage_depths[: int(parts[1])])
            return before if parts[2] == 'downsample' else before + int(parts[3]) + 1
        return self.depth + 1

    def no_weight_decay(self) -> Set[str]:
        return {'vis_mask_token'}
