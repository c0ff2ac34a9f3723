"""A run killed with SIGKILL at an arbitrary moment, or stopped with Ctrl-C, resumes with --resume and ends with
exactly the weights of an uninterrupted run (CPU, deterministic settings)."""

import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch

from lmdkit.fileio import load_from_local_safe

from ..conftest import QUICK_START, ROOT
from .test_cli import SMALL, sh

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
    'custom_hooks.ReconstructionVisHook.interval=0',
]


def start(work_dir):
    """tools/train.py in the background, its output in WORK_DIR.log (a pipe could fill up and block it)."""
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    cmd = [sys.executable, 'tools/train.py', QUICK_START, '--work-dir', work_dir, '--cfg-options', *OPTS]
    log = open(work_dir + '.log', 'w')
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_for(path, proc, timeout=300):
    deadline = time.time() + timeout
    while not osp.isfile(path) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)


def assert_same_weights(a_dir, b_dir):
    a = load_from_local_safe(osp.join(a_dir, 'iter_40.pth'))['state_dict']
    b = load_from_local_safe(osp.join(b_dir, 'iter_40.pth'))['state_dict']
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), f'{key} differs from the uninterrupted run'


@pytest.mark.slow
def test_sigkill_or_ctrl_c_then_resume_equals_an_uninterrupted_run(tmp_path):
    straight, killed, stopped = (str(tmp_path / n) for n in ('straight', 'killed', 'stopped'))
    sh(sys.executable, 'tools/train.py', QUICK_START, '--work-dir', straight, '--cfg-options', *OPTS)

    proc = start(killed)
    wait_for(osp.join(killed, 'iter_12.pth'), proc)
    proc.send_signal(signal.SIGKILL)  # wherever it is: mid-step, mid-save, mid-validation
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, 'the run finished before it could be killed'
    assert not osp.isfile(osp.join(killed, 'iter_40.pth'))
    sh(sys.executable, 'tools/train.py', QUICK_START, '--work-dir', killed, '--resume', '--cfg-options', *OPTS)
    assert_same_weights(straight, killed)

    proc = start(stopped)
    wait_for(osp.join(stopped, 'iter_8.pth'), proc)
    proc.send_signal(signal.SIGINT)  # Ctrl-C: finish the iteration, save, stop
    proc.wait(timeout=300)
    with open(stopped + '.log') as f:
        err = f.read()
    assert proc.returncode == 130, err[-3000:]
    with open(osp.join(stopped, 'last_checkpoint')) as f:
        last = f.read().strip()
    at = int(osp.basename(last)[len('iter_') : -len('.pth')])
    assert 8 <= at < 40 and osp.isfile(last) and 'interrupted: saved' in err
    sh(sys.executable, 'tools/train.py', QUICK_START, '--work-dir', stopped, '--resume', '--cfg-options', *OPTS)
    assert_same_weights(straight, stopped)


@pytest.mark.slow
def test_two_ranks_resume_each_on_its_own_random_stream(tmp_path):
    """DDP over 2 gloo ranks with per-rank seeds (the default): 20 iterations straight vs 10 + resume + 10 give
    identical weights, because the checkpoint carries every rank's RNG state (RngGatherHook + ExactResumeHook);
    without them rank 1 would continue rank 0's stream and draw other masks."""
    import shutil

    options = ['--cfg-options', *SMALL, 'train_cfg.max_iters=20', 'train_cfg.val_interval=20',
               'default_hooks.checkpoint.interval=10']  # fmt: skip
    straight, resumed = str(tmp_path / 'straight'), str(tmp_path / 'resumed')
    sh('bash', 'tools/dist_train.sh', QUICK_START, '2', '--work-dir', straight, *options, env=dict(PORT='29551'))
    ckpt = torch.load(osp.join(straight, 'iter_10.pth'), weights_only=True)
    assert len(ckpt['rng_states']) == 2 and not torch.equal(
        ckpt['rng_states'][0]['torch'], ckpt['rng_states'][1]['torch']
    )
    os.makedirs(resumed)
    shutil.copy(osp.join(straight, 'iter_10.pth'), resumed)
    sh('bash', 'tools/dist_train.sh', QUICK_START, '2', '--work-dir', resumed, '--resume',
       osp.join(resumed, 'iter_10.pth'), *options, env=dict(PORT='29552'))  # fmt: skip
    a = torch.load(osp.join(straight, 'iter_20.pth'), weights_only=True)['state_dict']
    b = torch.load(osp.join(resumed, 'iter_20.pth'), weights_only=True)['state_dict']
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
