"""The test program: a config and a checkpoint -> a runner that evaluates it on the config's test set.
``tools/test.py`` is its command line; Python code gets the same checks and loading.

    runner = build_test_runner('configs/lmd/lmd_vitp_fmnist-mini_cos.py', 'work_dirs/quickstart/iter_600.pth')
    metrics = runner.test()
"""

import os.path as osp
from typing import Optional, Union

from mmengine.config import Config
from mmengine.runner import Runner

from ..datasets.latent_cache import bind_projector
from ..engine import init_distributed
from ..engine.hooks import configure_checkpoint_load
from .train import ConfigError, config_and_name, default_work_dir


def prepare_test_config(
    config: Union[str, Config],
    checkpoint: str,
    cfg_options: Optional[dict] = None,
    work_dir: Optional[str] = None,
    launcher: str = 'none',
    partial: bool = False,
) -> Config:
    """``config`` set up to evaluate ``checkpoint`` (a file or an exported model folder): weights only, never a
    resume; a checkpoint that does not fit the model is refused naming its keys unless ``partial`` (then what fits
    is loaded and the rest reported)."""
    if not osp.exists(checkpoint):
        raise ConfigError(f'checkpoint not found: {checkpoint}')
    cfg, name = config_and_name(config, cfg_options)
    cfg.launcher = launcher
    cfg.work_dir = default_work_dir(cfg, name, work_dir)
    cfg.load_from = checkpoint
    cfg.resume = False  # a run's saved config may say resume=True: testing loads weights only
    configure_checkpoint_load(cfg, partial=partial)
    bind_projector(cfg)
    return cfg


def build_test_runner(config: Union[str, Config], checkpoint: str, **options) -> Runner:
    """MMEngine's runner for ``prepare_test_config(config, checkpoint, **options)``; call ``.test()`` on it. Starts
    the process group for a ``launcher`` other than 'none' (gloo without a GPU) unless one exists; the process is
    set up as the training program's (``setup_process``)."""
    cfg = prepare_test_config(config, checkpoint, **options)
    init_distributed(cfg.launcher)
    return Runner.from_cfg(cfg)
