"""Constant mask ratio (MAE's 0.75)."""

from typing import Optional

from lmdkit.registry import MASK_SCHEDULERS

from .base import BaseMaskScheduler


@MASK_SCHEDULERS.register_module()
class FixedMaskScheduler(BaseMaskScheduler):
    """r = ``ratio`` at every step (MAE; LMD's "w/o MDS" ablation)."""

    def __init__(self, ratio: float = 0.75) -> None:
        super().__init__(ratio, ratio)

    def ratio(self, progress: float, step: Optional[int]) -> float:
        return self.max_ratio

    def __repr__(self) -> str:
        return f'FixedMaskScheduler(ratio={self.max_ratio})'
