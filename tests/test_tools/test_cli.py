"""End-to-end runs of the command-line tools in subprocesses (marked slow; CI runs them)."""

import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from ..conftest import QUICK_START, ROOT

SMALL = [
    'train_cfg.max_iters=40',
    'train_cfg.val_interval=40',
    'default_hooks.checkpoint.interval=20',
    'default_hooks.logger.interval=10',
    'param_scheduler.0.end=10',
    'param_scheduler.1.begin=10',
    'param_scheduler.1.end=40',
    'train_dataloader.batch_size=16',
    'val_dataloader.dataset.indices=100',
]


def sh(*args, env=None, timeout=600):
    env = dict(os.environ, PYTHONPATH=ROOT, PYTHON=sys.executable, OMP_NUM_THREADS='1', **(env or {}))
    proc = subprocess.run(list(args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f'{" ".join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}'
    return proc


@pytest.mark.slow
def test_train_resume_test_and_plot(tmp_path):
    work = str(tmp_path / 'run')
    sh(
        sys.executable,
        'tools/train.py',
        QUICK_START,
        '--work-dir',
        work,
        '--cfg-options',
        *SMALL,
        'train_cfg.max_iters=20',
    )
    # continue the same run to 40 iterations from its latest checkpoint
    sh(sys.executable, 'tools/train.py', QUICK_START, '--work-dir', work, '--resume', '--cfg-options', *SMALL)
    summary = json.load(open(osp.join(work, 'summary.json')))
    assert summary['iters'] == 40 and summary['last_checkpoint'].endswith('iter_40.pth')
    with open(osp.join(work, 'train_record.jsonl')) as f:
        assert [json.loads(line)['iter'] for line in f] == list(range(1, 41))
    out = sh(
        sys.executable,
        'tools/test.py',
        QUICK_START,
        osp.join(work, 'iter_40.pth'),
        '--work-dir',
        work,
        '--cfg-options',
        'test_dataloader.dataset.indices=50',
    )
    metrics = json.load(open(osp.join(work, 'test_metrics.json')))['metrics']
    assert 0 < metrics['recon/nmse'] < 2 and 'recon/mse' in out.stdout
    png = str(tmp_path / 'curves.png')
    sh(sys.executable, 'tools/analysis/plot_curves.py', work, '--x', 'wall', '--out', png)
    assert osp.getsize(png) > 5000


@pytest.mark.slow
def test_amp_on_cpu_uses_bf16_autocast(tmp_path):
    work = str(tmp_path / 'amp')
    sh(
        sys.executable,
        'tools/train.py',
        QUICK_START,
        '--work-dir',
        work,
        '--amp',
        '--cfg-options',
        *SMALL,
        'train_cfg.max_iters=10',
        'train_cfg.val_interval=10',
    )
    cfg_text = open(osp.join(work, 'lmd_vitp_fmnist-mini_cos.py')).read()
    assert 'AutocastOptimWrapper' in cfg_text or 'AmpOptimWrapper' in cfg_text
    assert json.load(open(osp.join(work, 'summary.json')))['iters'] == 10


@pytest.mark.slow
def test_dist_train_two_cpu_processes(tmp_path):
    work = str(tmp_path / 'dist')
    sh(
        'bash',
        'tools/dist_train.sh',
        QUICK_START,
        '2',
        '--work-dir',
        work,
        '--cfg-options',
        *SMALL,
        'train_cfg.max_iters=10',
        'train_cfg.val_interval=10',
        'default_hooks.checkpoint.interval=10',
        env=dict(PORT='29517'),
    )
    summary = json.load(open(osp.join(work, 'summary.json')))
    assert summary['environment']['world_size'] == 2 and summary['iters'] == 10
    assert osp.isfile(osp.join(work, 'iter_10.pth'))
    sh(
        'bash',
        'tools/dist_test.sh',
        QUICK_START,
        osp.join(work, 'iter_10.pth'),
        '2',
        '--work-dir',
        work,
        '--cfg-options',
        'test_dataloader.dataset.indices=100',
        env=dict(PORT='29518'),
    )
    assert json.load(open(osp.join(work, 'test_metrics.json')))['metrics']['recon/mse'] > 0
