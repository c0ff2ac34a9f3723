"""What lmdkit refuses, end to end through tools/ in real processes: a second run in a busy work dir, a checkpoint
of another model size, and what --resume says when there is nothing to resume (marked slow; CI runs them)."""

import os
import os.path as osp
import subprocess
import sys
import time

import pytest

from ..conftest import QUICK_START, ROOT

TINY = ['train_dataloader.batch_size=8', 'val_dataloader.dataset.indices=50', 'default_hooks.logger.interval=1']


def tool(*args, check=True, timeout=300):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if check:
        assert proc.returncode == 0, f'{args} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}'
    return proc


@pytest.mark.slow
def test_a_second_run_in_a_busy_work_dir_stops_at_once(tmp_path):
    work = tmp_path / 'run'
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    with open(tmp_path / 'a.log', 'w') as log:
        first = subprocess.Popen(
            [sys.executable, 'tools/train.py', QUICK_START, '--work-dir', str(work), '--cfg-options', *TINY],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.time() + 240
            while not osp.exists(work / '.lmdkit.lock') and first.poll() is None and time.time() < deadline:
                time.sleep(0.2)
            assert first.poll() is None, open(tmp_path / 'a.log').read()[-3000:]
            started = time.time()
            second = tool('tools/train.py', QUICK_START, '--work-dir', str(work), '--cfg-options', *TINY,
                          'optim_wrapper.optimizer.lr=3e-3', check=False)  # fmt: skip
            assert second.returncode == 1 and time.time() - started < 120
            assert f'is in use by another training run (pid {first.pid} on ' in second.stderr
            assert first.poll() is None  # the first run goes on
        finally:
            first.kill()  # dies holding the lock, as a crashed or killed run would
            first.wait()
    logs = [d for d in os.listdir(work) if d[:8].isdigit()]
    assert len(logs) == 1  # the second run wrote nothing into the work dir
    assert not any(n.startswith('iter_') for n in os.listdir(work))
    # the next run reports the dead holder's lock, and that --resume found nothing to resume
    two = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2']
    third = tool('tools/train.py', QUICK_START, '--work-dir', str(work), '--resume', '--cfg-options', *TINY, *two)
    out = third.stdout + third.stderr
    assert f'replaced a stale lock of a run that ended without releasing it (pid {first.pid} on ' in out
    assert f'--resume: no checkpoint in {work}; starting a fresh run' in out
    assert osp.isfile(work / 'iter_2.pth') and not osp.exists(work / '.lmdkit.lock')
    # a checkpoint of another model size is refused by tools/test.py, naming the setting; --partial loads it
    narrow = ['--cfg-options', 'model.neck.embed_dim=32', 'test_dataloader.dataset.indices=20']
    refused = tool('tools/test.py', QUICK_START, str(work / 'iter_2.pth'), '--work-dir', str(work), *narrow,
                   check=False)  # fmt: skip
    assert refused.returncode == 1
    assert 'iter_2.pth does not fit the model built from this config' in refused.stderr
    assert 'model.neck.embed_dim=64 (here 32)' in refused.stderr and 'tools/test.py --partial' in refused.stderr
    partial = tool(
        'tools/test.py',
        QUICK_START,
        str(work / 'iter_2.pth'),
        '--work-dir',
        str(work),
        *narrow,
        'resume=True',  # as the saved config of a resumed run says: testing must not resume
        '--partial',
    )
    assert 'left at initial values' in partial.stdout + partial.stderr and '"recon/mse"' in partial.stdout
