"""Common interface of mask-ratio schedulers: ``scheduler(progress, step) -> ratio``."""

from abc import ABC, abstractmethod
from typing import Optional


class BaseMaskScheduler(ABC):
    """Maps training progress p = iter / max_iters ∈ [0, 1] to a mask ratio.

    ``step`` (the optimizer step) is passed too so that random schedulers can seed per iteration; deterministic
    schedulers ignore it. The ratio depends only on (progress, step, seed), so a resumed run continues exactly.
    """

    def __init__(self, min_ratio: float = 0.15, max_ratio: float = 0.75) -> None:
        if not 0.0 <= min_ratio <= max_ratio < 1.0:
            raise ValueError(f'need 0 <= min_ratio <= max_ratio < 1, got min_ratio={min_ratio}, max_ratio={max_ratio}')
        self.min_ratio, self.max_ratio = float(min_ratio), float(max_ratio)

    def __call__(self, progress: float, step: Optional[int] = None) -> float:
        if not -1e-9 <= progress <= 1 + 1e-9:
            raise ValueError(f'progress must be in [0, 1], got {progress}')
        return float(self.ratio(min(max(progress, 0.0), 1.0), step))

    @abstractmethod
    def ratio(self, progress: float, step: Optional[int]) -> float:
        """The ratio at progress p ∈ [0, 1] (already validated and clamped)."""

    def __repr__(self) -> str:
        return f'{type(self).__name__}(min_ratio={self.min_ratio}, max_ratio={self.max_ratio})'
