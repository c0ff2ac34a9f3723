"""UM-MAE's encoder (Li et al., 2022, "Uniform Masking"): MAE's ViT fed by *uniform sampling* — one kept token in
every 2x2 block, 25 % in all — and, in training, *secondary masking*: a share of the kept tokens is replaced by a
learnable mask token (not dropped), so the encoder still has to infer some of what it sees. The reconstruction
loss stays on the 75 % that uniform sampling dropped (the mask this encoder returns), as in the official code.
"""

from typing import Optional, Set, Tuple

import torch
import torch.nn as nn

from lmdkit.registry import MODELS

from ..example import ComponentExample, example_noise, weighted_mean
from ..layers import dropped_tokens, random_masking
from .vit_mae import MAEViT

UNIFORM_RATIO = 0.75  # one token of each 2x2 block kept


def uniform_sampling_noise(noise: torch.Tensor, grid: Tuple[int, int]) -> torch.Tensor:
    """(B, L) noise whose ascending order keeps exactly one token per 2x2 block, in raster order, then the dropped
    ones: what ``random_masking`` at ratio 0.75 turns into UM-MAE's uniform sampling. Which token of each block is
    kept comes from ``noise`` (B, L) shuffling a pool holding each of the four positions equally often, about twice
    as many as there are blocks (the official generator's 4·⌈blocks/2⌉), of which the first ``blocks`` are used."""
    b, length = noise.shape
    gh, gw = grid
    blocks = (gh // 2) * (gw // 2)
    pool_size = 4 * -(-blocks // 2)  # the four positions, each ⌈blocks/2⌉ times (<= L)
    pool = torch.arange(pool_size, device=noise.device) % 4
    choice = pool[torch.argsort(noise[:, :pool_size], dim=1)[:, :blocks]]  # (B, blocks): 0..3 = (dy, dx)
    keep = torch.zeros(b, gh // 2, 2, gw // 2, 2, device=noise.device)
    dy, dx = (choice // 2).reshape(b, gh // 2, gw // 2), (choice % 2).reshape(b, gh // 2, gw // 2)
    for y in (0, 1):
        for x in (0, 1):
            keep[:, :, y, :, x] = ((dy == y) & (dx == x)).float()
    keep = keep.reshape(b, length)
    order = torch.arange(length, device=noise.device, dtype=noise.dtype) / (2 * length)  # raster order, < 0.5
    return (1 - keep) + order


@MODELS.register_module()
class UMMAEViT(MAEViT):
    """MAE's ViT with UM-MAE's uniform sampling and secondary masking.

    Args:
        secondary_ratio: share of the kept tokens replaced by ``vis_mask_token`` (+ their position) during training
            (UM-MAE: 0.25; an exact count, ``int(n · (1 − r))`` stay, as the official code). Evaluation uses none,
            so validation masks depend on the seeded noise alone.
        Other arguments as ``MAEViT``; the token grid must have even sides. ``forward``'s ``mask_ratio`` is 0 (all
        tokens) or 0.75 (uniform sampling, the only ratio it defines).
    """

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny UMMAEViT and its objective (``lmdkit.models.example``; the registry-wide test)."""
        return ComponentExample(
            cfg=dict(type='UMMAEViT', img_size=16, patch_size=2, in_channels=3, embed_dim=32, depth=2, num_heads=2),
            objective=lambda m: weighted_mean(m(example_noise(2, 3, 16, 16), 0.75)),  # 16 kept, 4 as mask tokens
        )

    def __init__(self, secondary_ratio: float = 0.25, **kwargs) -> None:
        super().__init__(**kwargs)
        if any(g % 2 for g in self.grid_size):
            raise ValueError(f'uniform sampling keeps one token per 2x2 block: the {self.grid_size} token grid needs '
                             'even sides (img_size / patch_size)')  # fmt: skip
        if not 0.0 <= secondary_ratio < 1.0:
            raise ValueError(f'secondary_ratio must be in [0, 1), got {secondary_ratio}')
        self.secondary_ratio = secondary_ratio
        self.vis_mask_token = nn.Parameter(torch.zeros(1, 1, self.embed_dim))
        nn.init.normal_(self.vis_mask_token, std=0.02)

    def forward(
        self, x: torch.Tensor, mask_ratio: float = 0.0, noise: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor], Optional[torch.Tensor]]:
        """As ``MAEViT.forward``; the returned mask is uniform sampling's (the loss's), secondary masking aside."""
        if mask_ratio and mask_ratio != UNIFORM_RATIO:
            raise ValueError(f'UMMAEViT masks by uniform sampling, ratio {UNIFORM_RATIO}; got mask_ratio={mask_ratio} '
                             '(use a FixedMaskScheduler(ratio=0.75) and val_mask_ratio=0.75)')  # fmt: skip
        pos = self.pos_embed[:, 1:]
        x = self.patch_embed(x) + pos  # (B, L, D)
        mask = ids_restore = None
        if mask_ratio:
            if noise is None:
                noise = torch.rand(x.shape[:2], device=x.device)
            x, mask, ids_restore = random_masking(x, UNIFORM_RATIO, uniform_sampling_noise(noise, self.grid_size))
            if self.training and self.secondary_ratio > 0:
                b, n, d = x.shape
                ids_keep = torch.argsort(ids_restore, dim=1)[:, :n]  # grid positions of the kept tokens
                kept_pos = torch.gather(pos.expand(b, -1, -1), 1, ids_keep.unsqueeze(-1).expand(-1, -1, d))
                secondary = dropped_tokens(torch.rand(b, n, device=x.device), self.secondary_ratio).unsqueeze(-1)
                x = x * (1 - secondary) + (self.vis_mask_token + kept_pos) * secondary
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1)
        for block in self.blocks:
            x = block(x)
        return self.norm(x), mask, ids_restore

    def no_weight_decay(self) -> Set[str]:
        return super().no_weight_decay() | {'vis_mask_token'}
