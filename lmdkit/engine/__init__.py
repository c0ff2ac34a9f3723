"""Training engine: hooks, optimisers, model wrappers, EMA, the per-step host readout, safe checkpoints and
distributed start-up."""

from . import hooks, optimizers  # noqa: F401  (registration)
from .checkpoint import (
    UnsafeCheckpointError,
    atomic_torch_save,
    register_atomic_backend,
    register_safe_loader,
    safe_torch_load,
)
from .dist import exit_distributed_process, init_distributed, shutdown_distributed
from .ema import SyncFreeEMA
from .fsdp2_strategy import FSDP2Strategy
from .loops import AccumulatingTrainLoop
from .model_wrappers import CPUSafeDistributedDataParallel
from .recipe import Recipe, apply_recipe

register_safe_loader()
register_atomic_backend()

__all__ = [
    'AccumulatingTrainLoop',
    'Recipe',
    'apply_recipe',
    'CPUSafeDistributedDataParallel',
    'FSDP2Strategy',
    'UnsafeCheckpointError',
    'atomic_torch_save',
    'exit_distributed_process',
    'init_distributed',
    'register_atomic_backend',
    'register_safe_loader',
    'safe_torch_load',
    'shutdown_distributed',
    'SyncFreeEMA',
]
