"""Deferred masking (MicroDiT; Sehwag et al., 2025, arXiv 2407.15811): the first blocks ("patch mixer") see every
token, then a share is dropped for the rest of the network and the loss is taken on the kept tokens only."""

from lmdkit.registry import TOKEN_PLANS

from ..layers import num_kept
from .base import TokenPlan


@TOKEN_PLANS.register_module()
class DeferredMasking(TokenPlan):
    """Drop ``N − int(N·(1 − r))`` random tokens before block ``start``; they never rejoin.

    MicroDiT's mixer is a separate, shallower transformer in front of the backbone; here it is the denoiser's first
    ``start`` blocks (give the denoiser ``start`` more blocks to hold it). Its setting: ratio 0.75 (from the
    algorithm's mask scheduler), a final phase without masking (a second config at ratio 0).
    """

    def __init__(self, start: int = 2) -> None:
        super().__init__(start, None)

    def num_kept(self, num_tokens: int, ratio: float) -> int:
        return num_kept(num_tokens, ratio)  # MAE's int(N·(1 − r)), at least one
