"""A ratio drawn uniformly per iteration (MDTv2: r ~ U(0.3, 0.5))."""

from typing import Optional

import numpy as np

from lmdkit.registry import MASK_SCHEDULERS

from .base import BaseMaskScheduler


@MASK_SCHEDULERS.register_module()
class RandomRangeMaskScheduler(BaseMaskScheduler):
    """r ~ U(min_ratio, max_ratio) from a generator seeded by (seed, step): the same on every rank and after resume,
    and independent of the global RNG (drawing it never perturbs the training's random stream)."""

    def __init__(self, min_ratio: float = 0.3, max_ratio: float = 0.5, seed: int = 0) -> None:
        super().__init__(min_ratio, max_ratio)
        self.seed = int(seed)

    def ratio(self, progress: float, step: Optional[int]) -> float:
        if step is None:
            raise ValueError('RandomRangeMaskScheduler needs the iteration: call scheduler(progress, step)')
        rng = np.random.default_rng([self.seed, int(step)])
        return float(rng.uniform(self.min_ratio, self.max_ratio))

    def __repr__(self) -> str:
        return f'RandomRangeMaskScheduler(min_ratio={self.min_ratio}, max_ratio={self.max_ratio}, seed={self.seed})'
