"""Set a process up for lmdkit: every module that registers something imported, MMEngine's checkpoint I/O made
safe and atomic, and 'lmdkit' the default registry scope. The one place where lmdkit changes global state."""

import datetime
import warnings
from typing import Optional

import torch
from mmengine import DefaultScope
from mmengine.config import Config

import lmdkit.datasets  # noqa: F401  (registration)
import lmdkit.evaluation  # noqa: F401
import lmdkit.models  # noqa: F401
from lmdkit.datasets.latent_cache import bind_projector
from lmdkit.engine import register_checkpoint_io
from lmdkit.utils.config_check import load_config


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register lmdkit's datasets, models, hooks and metrics, route MMEngine's local checkpoint loading and saving
    through lmdkit's safe loader and atomic backend, and optionally set the default scope to 'lmdkit'."""
    register_checkpoint_io()
    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance('lmdkit', scope_name='lmdkit')
    elif current.scope_name != 'lmdkit':
        warnings.warn(f'default scope was {current.scope_name!r}; switching to a new "lmdkit" scope', stacklevel=2)
        name = f'lmdkit-{datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")}'
        DefaultScope.get_instance(name, scope_name='lmdkit')


def setup_process() -> None:
    """What every lmdkit program does first: ``register_all_modules()``, and denormal floats flushed to zero (Adam
    moments of long-unused codebook entries otherwise make CPU kernels up to 50x slower)."""
    register_all_modules()
    torch.set_flush_denormal(True)


def load_program_config(config: str, cfg_options: Optional[dict] = None) -> Config:
    """Set the process up (:func:`setup_process`) and load the config file ``config`` as every
    program does: ``_base_`` files, ``cfg_options`` (hooks may be named by type) and the projector bound to a
    latent-cache dataset."""
    setup_process()
    cfg = load_config(config, cfg_options)
    bind_projector(cfg)
    return cfg
