"""A run killed with SIGKILL at an arbitrary moment resumes from its last complete checkpoint with --resume and
ends with exactly the weights of an uninterrupted run (CPU, deterministic settings)."""

import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch

from lmdkit.engine.checkpoint import load_from_local_safe

from ..conftest import QUICK_START, ROOT
from .test_cli import sh

OPTS = [
    'train_cfg.max_iters=40',
    'train_cfg.val_interval=40',
    'default_hooks.checkpoint.interval=4',
    'default_hooks.checkpoint.max_keep_ckpts=20',
    'default_hooks.logger.interval=10',
    'param_scheduler.0.end=10',
    'param_scheduler.1.begin=10',
    'param_scheduler.1.end=40',
    'train_dataloader.batch_size=16',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'val_dataloader.dataset.indices=50',
    'custom_hooks.3.interval=0',
]


@pytest.mark.slow
def test_sigkill_then_resume_equals_an_uninterrupted_run(tmp_path):
    straight, killed = str(tmp_path / 'straight'), str(tmp_path / 'killed')
    sh(sys.executable, 'tools/train.py', QUICK_START, '--work-dir', straight, '--cfg-options', *OPTS)
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    cmd = [sys.executable, 'tools/train.py', QUICK_START, '--work-dir', killed, '--cfg-options', *OPTS]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not osp.isfile(osp.join(killed, 'iter_12.pth')) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)  # wherever it is: mid-step, mid-save, mid-validation
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, 'the run finished before it could be killed'
    assert not osp.isfile(osp.join(killed, 'iter_40.pth'))
    sh(sys.executable, 'tools/train.py', QUICK_START, '--work-dir', killed, '--resume', '--cfg-options', *OPTS)
    a = load_from_local_safe(osp.join(straight, 'iter_40.pth'))['state_dict']
    b = load_from_local_safe(osp.join(killed, 'iter_40.pth'))['state_dict']
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), f'{key} differs after kill + resume'
