"""Experiment trackers for ``tools/train.py --tracker``: MMEngine visualisation backends set up to work offline.

Each writes beside MMEngine's own logs (``WORK_DIR/<time>/vis_data/``); lmdkit itself never uses the network.
"""

import importlib.util
import os
from typing import Dict

#: tracker name -> (the package it needs, what to install)
TRACKERS: Dict[str, tuple] = {
    'tensorboard': ('tensorboard', 'pip install tensorboard'),
    'wandb': ('wandb', 'pip install wandb'),
    'mlflow': ('mlflow', 'pip install mlflow-skinny  (or mlflow)'),
}


class TrackerUnavailableError(ImportError):
    """The tracker's package is not installed (the message says what to install)."""


def tracker_backend(name: str, run_name: str) -> dict:
    """The MMEngine visualisation-backend config of tracker ``name`` for a run called ``run_name``.

    - tensorboard: event files in ``vis_data/``.
    - wandb: offline (a run folder in ``vis_data/wandb/``, upload later with ``wandb sync``) unless ``WANDB_MODE``
      says otherwise; project ``lmdkit`` unless ``WANDB_PROJECT`` is set.
    - mlflow: the server named by ``MLFLOW_TRACKING_URI``, else a local file store in ``vis_data/`` (which MLflow
      3 accepts only with ``MLFLOW_ALLOW_FILE_STORE=true``: see ``needs_file_store``); experiment ``lmdkit``.
    """
    if name not in TRACKERS:
        raise ValueError(f'unknown tracker {name!r}; choose from {sorted(TRACKERS)}')
    package, install = TRACKERS[name]
    if importlib.util.find_spec(package) is None:
        raise TrackerUnavailableError(f'--tracker {name} needs the optional package {package}: {install}')
    if name == 'tensorboard':
        return dict(type='TensorboardVisBackend')
    if name == 'wandb':
        init = dict(project=os.environ.get('WANDB_PROJECT', 'lmdkit'), name=run_name,
                    mode=os.environ.get('WANDB_MODE', 'offline'))  # fmt: skip
        return dict(type='WandbVisBackend', init_kwargs=init)
    return dict(type='MLflowVisBackend', exp_name='lmdkit', run_name=run_name,
                tracking_uri=os.environ.get('MLFLOW_TRACKING_URI'))  # fmt: skip


def needs_file_store(name: str) -> bool:
    """Whether tracker ``name`` will write MLflow's local file store (no ``MLFLOW_TRACKING_URI``): the caller then
    sets ``MLFLOW_ALLOW_FILE_STORE=true``, without which MLflow 3 refuses that store."""
    return name == 'mlflow' and not os.environ.get('MLFLOW_TRACKING_URI')
