"""Optimisers, wrappers and constructors (``OPTIMIZERS``, ``OPTIM_WRAPPERS``, ``OPTIM_WRAPPER_CONSTRUCTORS``)."""

from .adan import Adan
from .autocast_optim_wrapper import AutocastOptimWrapper
from .default_constructor import DefaultOptimWrapperConstructor, plain_param_groups
from .guarded_optim_wrapper import GuardedOptimWrapper, StepGuard
from .lars import Lars
from .layer_decay_constructor import LayerDecayOptimWrapperConstructor, layer_decay_param_groups
from .multi_optim_constructor import MultiOptimWrapperConstructor

__all__ = [
    'Adan',
    'AutocastOptimWrapper',
    'DefaultOptimWrapperConstructor',
    'GuardedOptimWrapper',
    'Lars',
    'LayerDecayOptimWrapperConstructor',
    'MultiOptimWrapperConstructor',
    'StepGuard',
    'layer_decay_param_groups',
    'plain_param_groups',
]
