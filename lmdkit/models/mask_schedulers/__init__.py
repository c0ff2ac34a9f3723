"""Mask-ratio schedulers (registry ``MASK_SCHEDULERS``): ``scheduler(progress, step) -> ratio``."""

from .base import BaseMaskScheduler
from .cosine import CosineMaskScheduler
from .fixed import FixedMaskScheduler
from .piecewise import PiecewiseMaskScheduler
from .random_range import RandomRangeMaskScheduler
from .uniform import UniformMaskScheduler

__all__ = [
    'BaseMaskScheduler',
    'CosineMaskScheduler',
    'FixedMaskScheduler',
    'PiecewiseMaskScheduler',
    'RandomRangeMaskScheduler',
    'UniformMaskScheduler',
]
