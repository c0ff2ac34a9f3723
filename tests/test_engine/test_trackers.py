"""--tracker: each backend's configuration, and a real run that logs to TensorBoard, wandb (offline) and MLflow (a
local file store) at once, with the same numbers as MMEngine's own scalar log (marked slow)."""

import glob
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from lmdkit.engine import trackers
from lmdkit.engine.trackers import TrackerUnavailableError, needs_file_store, tracker_backend

from ..conftest import QUICK_START, ROOT


def test_wandb_is_offline_unless_the_environment_says_otherwise(monkeypatch):
    monkeypatch.delenv('WANDB_MODE', raising=False)
    assert tracker_backend('wandb', 'run')['init_kwargs'] == dict(project='lmdkit', name='run', mode='offline')
    monkeypatch.setenv('WANDB_MODE', 'online')
    assert tracker_backend('wandb', 'run')['init_kwargs']['mode'] == 'online'


def test_mlflow_uses_the_tracking_server_when_one_is_named(monkeypatch):
    monkeypatch.delenv('MLFLOW_TRACKING_URI', raising=False)
    assert tracker_backend('mlflow', 'r')['tracking_uri'] is None and needs_file_store('mlflow')
    monkeypatch.setenv('MLFLOW_TRACKING_URI', 'http://mlflow.lab:5000')
    assert tracker_backend('mlflow', 'r')['tracking_uri'] == 'http://mlflow.lab:5000'
    assert not needs_file_store('mlflow') and not needs_file_store('wandb')


def test_a_missing_package_or_unknown_tracker_is_refused_with_the_fix(monkeypatch):
    monkeypatch.setattr(trackers.importlib.util, 'find_spec', lambda name: None)
    with pytest.raises(TrackerUnavailableError, match='pip install wandb'):
        tracker_backend('wandb', 'r')
    with pytest.raises(ValueError, match='unknown tracker'):
        tracker_backend('neptune', 'r')


@pytest.mark.slow
def test_a_run_logs_the_same_losses_to_every_tracker(tmp_path):
    work = str(tmp_path / 'run')
    env = {k: v for k, v in os.environ.items() if not k.startswith(('WANDB_', 'MLFLOW_'))}
    env.update(PYTHONPATH=ROOT, OMP_NUM_THREADS='1', WANDB_SILENT='true')
    args = [sys.executable, 'tools/train.py', QUICK_START, '--work-dir', work, '--tracker', 'tensorboard,wandb,mlflow',
            '--cfg-options', 'train_cfg.max_iters=6', 'default_hooks.logger.interval=2',
            'train_dataloader.batch_size=8', 'val_dataloader.dataset.indices=20']  # fmt: skip
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    (vis,) = glob.glob(osp.join(work, '*', 'vis_data'))
    with open(osp.join(vis, 'scalars.json')) as f:  # MMEngine's local log: the reference
        logged = {r['step']: r['loss'] for r in map(json.loads, f) if 'loss' in r}
    assert sorted(logged) == [2, 4, 6]
    assert glob.glob(osp.join(vis, 'events.out.tfevents.*'))
    (run,) = glob.glob(osp.join(vis, 'wandb', 'offline-run-*', 'run-*.wandb'))
    assert os.path.getsize(run) > 0
    (metric,) = glob.glob(osp.join(vis, '*', '*', 'metrics', 'loss'))  # MLflow file store: experiment/run/metrics
    with open(metric) as f:
        rows = [line.split() for line in f]  # "timestamp value step"
    assert {int(step): float(value) for _, value, step in rows} == pytest.approx(logged)
