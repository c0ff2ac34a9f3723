"""Optimisers, wrappers and constructors (``OPTIMIZERS``, ``OPTIM_WRAPPERS``, ``OPTIM_WRAPPER_CONSTRUCTORS``)."""

from .adan import Adan
from .autocast_optim_wrapper import AutocastOptimWrapper
from .multi_optim_constructor import MultiOptimWrapperConstructor

__all__ = ['Adan', 'AutocastOptimWrapper', 'MultiOptimWrapperConstructor']
