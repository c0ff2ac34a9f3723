"""The token-sparsity contract between a training algorithm and a transformer denoiser.

A ``TokenPlan`` draws, for one training step, a ``TokenRoute``: the tokens kept from block ``start`` on and, where
the others come back, the block ``stop`` before which they rejoin. The denoiser only executes a route
(``DiT.forward(..., route=...)``); the algorithm draws it, so that it also knows which tokens a loss may use.
Sampling and validation never take a route.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Optional

import torch


@dataclass(frozen=True)
class TokenRoute:
    """Which tokens the blocks of one forward pass see.

    Attributes:
        ids_keep: (B, K) indices of the tokens that enter block ``start`` (each row a random subset, in random order).
        start: index of the first block that sees only the kept tokens.
        stop: index of the block before which the other tokens rejoin with the values they had before ``start``
            (TREAD); ``len(blocks)`` rejoins them after the last block; None: they never rejoin, and the denoiser's
            output covers the kept tokens only (zeros elsewhere; the loss must skip those).
        fp32_after_rejoin: run block ``stop`` outside autocast (TREAD's official code does, for stability).
    """

    ids_keep: torch.Tensor
    start: int
    stop: Optional[int] = None
    fp32_after_rejoin: bool = False

    @property
    def rejoins(self) -> bool:
        """Whether the tokens left out come back before the output."""
        return self.stop is not None

    def covers(self, block: int) -> bool:
        """Whether block ``block`` (0-based) runs on the kept tokens only."""
        return self.start <= block and (self.stop is None or block < self.stop)

    def kept_mask(self, num_tokens: int) -> torch.Tensor:
        """(B, N) float mask, 1 at the kept tokens."""
        mask = torch.zeros(self.ids_keep.shape[0], num_tokens, device=self.ids_keep.device)
        return mask.scatter_(1, self.ids_keep, 1.0)

    def with_prefix(self, num: int) -> 'TokenRoute':
        """The same route on a sequence that starts with ``num`` extra tokens (REG's representation token), which
        every block sees."""
        if num == 0:
            return self
        prefix = torch.arange(num, device=self.ids_keep.device).expand(self.ids_keep.shape[0], -1)
        ids = torch.cat([prefix, self.ids_keep + num], dim=1)
        return TokenRoute(ids, self.start, self.stop, self.fp32_after_rejoin)

    def keep(self, x: torch.Tensor) -> torch.Tensor:
        """All tokens (B, N, D) -> the kept ones (B, K, D)."""
        return torch.gather(x, 1, self.ids_keep.unsqueeze(-1).expand(-1, -1, x.shape[-1]))

    def rejoin(self, kept: torch.Tensor, full: torch.Tensor) -> torch.Tensor:
        """Kept tokens (B, K, D) back into ``full`` (B, N, D): every other token keeps its value in ``full``."""
        index = self.ids_keep.unsqueeze(-1).expand(-1, -1, kept.shape[-1])
        return full.to(kept.dtype).scatter(1, index, kept)


class TokenPlan(ABC):
    """Draws the ``TokenRoute`` of a training step from the mask ratio the algorithm's scheduler gives.

    Args:
        start: first block that sees only the kept tokens.
        stop: block before which the other tokens rejoin; None: never (see ``TokenRoute``).
    """

    def __init__(self, start: int, stop: Optional[int]) -> None:
        if start < 0 or (stop is not None and stop < start):
            raise ValueError(f'a token plan needs 0 <= start <= stop, got start={start}, stop={stop}')
        self.start, self.stop = start, stop

    def check_depth(self, depth: int) -> None:
        """Raise unless the plan's blocks exist in a denoiser of ``depth`` blocks."""
        last = self.stop if self.stop is not None else self.start
        if last > depth or self.start >= depth:
            raise ValueError(f'{self!r} routes blocks {self.start}..{last} but the denoiser has {depth} blocks; '
                             f'set start below its depth and stop at most its depth')  # fmt: skip

    @abstractmethod
    def num_kept(self, num_tokens: int, ratio: float) -> int:
        """Tokens kept at mask ratio ``ratio`` (each method rounds as its official code does)."""

    def route(
        self, batch: int, num_tokens: int, ratio: float, device: torch.device, noise: Optional[torch.Tensor] = None
    ) -> Optional[TokenRoute]:
        """The route of one step: per sample, the ``num_kept`` tokens with the smallest ``noise`` (B, N) (uniform
        by default) are kept. None when the ratio keeps every token: the pass is then the dense one, exactly."""
        if not 0.0 <= ratio < 1.0:
            raise ValueError(f'mask ratio must be in [0, 1), got {ratio}')
        kept = self.num_kept(num_tokens, ratio)
        if kept >= num_tokens:
            return None
        if noise is None:
            noise = torch.rand(batch, num_tokens, device=device)
        ids_keep = torch.argsort(noise, dim=1)[:, :kept]  # (B, K)
        return self._route(ids_keep)

    def _route(self, ids_keep: torch.Tensor) -> TokenRoute:
        return TokenRoute(ids_keep, self.start, self.stop)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(start={self.start}, stop={self.stop})'
