"""LMD's piecewise-linear schedule (paper text, Sec. 3): ramp, hold, ramp, hold."""

from typing import Optional

from lmdkit.registry import MASK_SCHEDULERS

from .base import BaseMaskScheduler


@MASK_SCHEDULERS.register_module()
class PiecewiseMaskScheduler(BaseMaskScheduler):
    """p ∈ [0, 1/6]: r_min → mid; [1/6, 1/3]: hold mid; [1/3, 2/3]: mid → r_max; then r_max.

    The authors' code restarts the step count in the third segment at 0 instead of 1/3, which drives the ratio
    above 1; here every segment is interpolated on its own interval, so r never exceeds ``max_ratio``.
    """

    def __init__(self, min_ratio: float = 0.15, max_ratio: float = 0.75, mid_ratio: float = 0.40) -> None:
        super().__init__(min_ratio, max_ratio)
        if not min_ratio <= mid_ratio <= max_ratio:
            raise ValueError(f'need min_ratio <= mid_ratio <= max_ratio, got {min_ratio}, {mid_ratio}, {max_ratio}')
        self.mid_ratio = float(mid_ratio)

    def ratio(self, progress: float, step: Optional[int]) -> float:
        if progress <= 1 / 6:
            return self.min_ratio + (self.mid_ratio - self.min_ratio) * progress * 6
        if progress <= 1 / 3:
            return self.mid_ratio
        if progress <= 2 / 3:
            return self.mid_ratio + (self.max_ratio - self.mid_ratio) * (progress - 1 / 3) * 3
        return self.max_ratio
