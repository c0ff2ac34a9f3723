"""One optimiser per sub-module (autoencoder + discriminator), as an ``OptimWrapperDict``."""

import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapperDict

from lmdkit.registry import OPTIM_WRAPPER_CONSTRUCTORS

from .default_constructor import DefaultOptimWrapperConstructor  # plain-dict param groups (torch.compile)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MultiOptimWrapperConstructor:
    """``optim_wrapper = dict(constructor='MultiOptimWrapperConstructor', projector=dict(...),
    discriminator=dict(...))``: each key names a sub-module of the model and holds an ordinary optimiser-wrapper
    config (``type``, ``optimizer``, ``paramwise_cfg``…) applied to that sub-module's parameters only."""

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg=None) -> None:
        if paramwise_cfg is not None:
            raise ValueError('MultiOptimWrapperConstructor: put paramwise_cfg inside each sub-module entry')
        self.cfgs = {k: v for k, v in optim_wrapper_cfg.items() if k != 'constructor'}

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        module = model.module if is_model_wrapper(model) else model
        wrappers = {}
        for name, cfg in self.cfgs.items():
            sub = getattr(module, name, None)
            if not isinstance(sub, nn.Module):
                raise KeyError(f"optim_wrapper key '{name}' names no sub-module of {type(module).__name__}")
            cfg = dict(cfg)
            paramwise = cfg.pop('paramwise_cfg', None)
            wrappers[name] = DefaultOptimWrapperConstructor(cfg, paramwise)(sub)
        return OptimWrapperDict(**wrappers)
