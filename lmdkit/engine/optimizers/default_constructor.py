"""MMEngine's default optimiser-wrapper constructor, with param groups that ``torch.compile`` can trace."""

import torch
import torch.nn as nn
from mmengine.optim import DefaultOptimWrapperConstructor as _MMEngineDefault
from mmengine.optim import OptimWrapper

from lmdkit.registry import OPTIM_WRAPPER_CONSTRUCTORS


def plain_param_groups(optimizer: torch.optim.Optimizer) -> None:
    """Turn the optimiser's param groups into plain dicts, in place.

    MMEngine builds optimisers from ConfigDicts, so with a ``paramwise_cfg`` (or lmdkit's layer decay) every group
    is a ConfigDict, and Dynamo cannot trace ``optimizer.step()`` over them: ``compile = True`` then fails inside
    the compiled ``train_step`` ("'UserDefinedDictVariable' object has no attribute 'items'", torch 2.14)."""
    optimizer.param_groups[:] = [dict(group) for group in optimizer.param_groups]


@OPTIM_WRAPPER_CONSTRUCTORS.register_module(name='DefaultOptimWrapperConstructor')
class DefaultOptimWrapperConstructor(_MMEngineDefault):
    """MMEngine's ``DefaultOptimWrapperConstructor`` (same arguments, same groups), whose optimiser has plain-dict
    param groups (:func:`plain_param_groups`). Registered under MMEngine's name in lmdkit's scope, so every lmdkit
    config that names no constructor gets it."""

    def __call__(self, model: nn.Module) -> OptimWrapper:
        optim_wrapper = super().__call__(model)
        plain_param_groups(optim_wrapper.optimizer)
        return optim_wrapper
