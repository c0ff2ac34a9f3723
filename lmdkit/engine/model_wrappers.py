"""A DistributedDataParallel wrapper that also works for CPU modules (gloo), and the model inside any wrapper."""

from typing import Optional, Sequence

import torch.nn as nn
from mmengine.model import MMDistributedDataParallel, is_model_wrapper

from lmdkit.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class CPUSafeDistributedDataParallel(MMDistributedDataParallel):
    """MMEngine's DDP wrapper, minus the ``device_ids`` MMEngine's runner always passes: DDP rejects them for
    CPU modules. On CUDA it behaves exactly like ``MMDistributedDataParallel``."""

    def __init__(self, module: nn.Module, device_ids: Optional[Sequence[int]] = None, **kwargs) -> None:
        params = list(module.parameters())
        on_cpu = not params or params[0].device.type == 'cpu'
        super().__init__(module=module, device_ids=None if on_cpu else device_ids, **kwargs)


def unwrap(model: nn.Module) -> nn.Module:
    """The model inside an MMEngine model wrapper (DDP, FSDP), or ``model`` itself."""
    return model.module if is_model_wrapper(model) else model
