"""Training engine: loops, hooks, optimisers, model wrappers, EMA, MMEngine's checkpoint I/O made safe, and
distributed start-up. Importing it registers lmdkit's hooks and optimisers in lmdkit's registries and changes no
other state: MMEngine's checkpoint loader is swapped by ``register_checkpoint_io`` (called by
``lmdkit.apis.register_all_modules``)."""

from . import hooks, optimizers  # noqa: F401  (registration in lmdkit's registries)
from .checkpoint import register_atomic_backend, register_checkpoint_io, register_safe_loader
from .dist import exit_distributed_process, init_distributed, shutdown_distributed
from .ema import SyncFreeEMA
from .fsdp2_strategy import FSDP2Strategy
from .loops import AccumulatingTrainLoop
from .model_wrappers import CPUSafeDistributedDataParallel
from .recipe import Recipe, apply_recipe

__all__ = [
    'AccumulatingTrainLoop',
    'Recipe',
    'apply_recipe',
    'CPUSafeDistributedDataParallel',
    'FSDP2Strategy',
    'exit_distributed_process',
    'init_distributed',
    'register_atomic_backend',
    'register_checkpoint_io',
    'register_safe_loader',
    'shutdown_distributed',
    'SyncFreeEMA',
]
