"""Optimisers and optimiser wrappers (registries ``OPTIMIZERS``, ``OPTIM_WRAPPERS``)."""

from .adan import Adan
from .autocast_optim_wrapper import AutocastOptimWrapper

__all__ = ['Adan', 'AutocastOptimWrapper']
