"""Cosine growth of the mask ratio (the LMD authors' ``cosine_schedule`` in ``engine_pretrain.py``)."""

import math
from typing import Optional

from lmdkit.registry import MASK_SCHEDULERS

from .base import BaseMaskScheduler


@MASK_SCHEDULERS.register_module()
class CosineMaskScheduler(BaseMaskScheduler):
    """For p ≤ ``ramp`` with q = p / ramp: f(q) = cos(((q + s)/(1 + s)) · π/2)²,
    r = r_min + (r_max − r_min)(1 − f(q)/f(0)); after the ramp r = r_max. s = 0.008 and ramp = 2/3 as in the
    authors' code (s is the offset of the cosine noise schedule of Nichol & Dhariwal, 2021)."""

    def __init__(
        self, min_ratio: float = 0.15, max_ratio: float = 0.75, ramp: float = 2 / 3, offset: float = 0.008
    ) -> None:
        super().__init__(min_ratio, max_ratio)
        if not 0 < ramp <= 1:
            raise ValueError(f'ramp must be in (0, 1], got {ramp}')
        self.ramp, self.offset = float(ramp), float(offset)

    def _f(self, q: float) -> float:
        return math.cos((q + self.offset) / (1 + self.offset) * math.pi / 2) ** 2

    def ratio(self, progress: float, step: Optional[int]) -> float:
        if progress > self.ramp:
            return self.max_ratio
        q = progress / self.ramp
        return self.min_ratio + (self.max_ratio - self.min_ratio) * (1 - self._f(q) / self._f(0.0))
