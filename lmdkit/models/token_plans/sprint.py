"""SPRINT's token drop (Park et al., 2025, "Sparse-Dense Residual Fusion for Efficient Diffusion Transformers";
snap-research/Sprint ``prepare_mask_and_input``): after a dense encoder, the middle blocks see a structured subset —
one random token of every 2x2 group at ratio 0.75 — and the sparse output is fused with the encoder's by the
denoiser (``SprintDiT``)."""

import math
from typing import Optional

import torch

from lmdkit.registry import TOKEN_PLANS

from .base import TokenPlan, TokenRoute

# ratio -> (group side, tokens kept per group), the official structured sampler's table
GROUPS = {0.75: (2, 1), 0.5: (2, 2), 0.875: (4, 2), 0.625: (4, 6)}


@TOKEN_PLANS.register_module()
class SparseDenseRouting(TokenPlan):
    """Blocks ``start`` … ``stop − 1`` (SPRINT's middle) see the kept tokens; the others come back at ``stop``
    through ``SprintDiT``'s fusion (not TREAD's unchanged values).

    Args:
        start: the dense encoder's depth (SPRINT: 2).
        stop: where the dense decoder starts (SPRINT-XL: 26 of 28, a 2-block decoder).
        structured: the official ``structured_with_random_offset`` sampling — per sample and per g x g group of the
            square token grid, k random tokens (ratio 0.75: 1 of 2x2; 0.5: 2 of 2x2; 0.875: 2 of 4x4; 0.625: 6 of
            4x4); False: ``int(N·(1 − r))`` uniformly random tokens (its ``random`` type).
    """

    def __init__(self, start: int = 2, stop: int = 26, structured: bool = True) -> None:
        super().__init__(start, stop)
        self.structured = structured

    def num_kept(self, num_tokens: int, ratio: float) -> int:
        if self.structured and ratio > 0:
            side, keep = self._group(ratio)
            return num_tokens // (side * side) * keep
        return int(num_tokens * (1 - ratio))

    def _group(self, ratio: float):
        match = [r for r in GROUPS if math.isclose(r, ratio)]
        if not match:
            raise ValueError(f'structured sampling is defined at ratios {sorted(GROUPS)} (SPRINT), got {ratio}; '
                             'set structured=False for uniformly random tokens')  # fmt: skip
        return GROUPS[match[0]]

    def route(
        self, batch: int, num_tokens: int, ratio: float, device: torch.device, noise: Optional[torch.Tensor] = None
    ) -> Optional[TokenRoute]:
        """As ``TokenPlan.route``; structured: ``noise`` (B, N) ranks the tokens within each group (the largest k
        are kept, as the official ``topk`` of random values)."""
        if not self.structured or ratio == 0:
            return super().route(batch, num_tokens, ratio, device, noise)
        side, keep = self._group(ratio)
        grid = math.isqrt(num_tokens)
        if grid * grid != num_tokens or grid % side:
            raise ValueError(f'structured sampling needs a square token grid divisible into {side}x{side} groups, '
                             f'got {num_tokens} tokens')  # fmt: skip
        if noise is None:
            noise = torch.rand(batch, num_tokens, device=device)
        g = grid // side
        # (B, g, g, side²): each group's tokens; their indices on the full grid
        vals = noise.reshape(batch, g, side, g, side).permute(0, 1, 3, 2, 4).reshape(batch, g, g, side * side)
        local = vals.topk(keep, dim=-1).indices  # (B, g, g, k)
        rows = torch.arange(g, device=device).view(1, g, 1, 1) * side + local // side
        cols = torch.arange(g, device=device).view(1, 1, g, 1) * side + local % side
        return self._route((rows * grid + cols).reshape(batch, -1))

    def __repr__(self) -> str:
        return f'{type(self).__name__}(start={self.start}, stop={self.stop}, structured={self.structured})'
