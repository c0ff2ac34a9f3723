"""Linear growth of the mask ratio over the whole run (LMD's pre-explored "uniform" scheme)."""

from typing import Optional

from lmdkit.registry import MASK_SCHEDULERS

from .base import BaseMaskScheduler


@MASK_SCHEDULERS.register_module()
class UniformMaskScheduler(BaseMaskScheduler):
    """r = r_min + (r_max − r_min) · p."""

    def ratio(self, progress: float, step: Optional[int]) -> float:
        return self.min_ratio + (self.max_ratio - self.min_ratio) * progress
