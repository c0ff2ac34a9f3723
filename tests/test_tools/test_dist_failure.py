"""A distributed run in which one rank fails ends every process with that rank's error instead of hanging."""

import os
import subprocess
import sys
import time

import pytest

from ..conftest import QUICK_START, ROOT

FAILING_HOOK = """
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from lmdkit.registry import HOOKS


@HOOKS.register_module()
class FailOnRankOne(Hook):
    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if get_rank() == 1 and runner.iter + 1 == 3:
            raise RuntimeError('injected failure on rank 1 at iteration 3')
"""


@pytest.mark.slow
def test_one_failing_rank_ends_the_job(tmp_path):
    (tmp_path / 'failing_hook.py').write_text(FAILING_HOOK)
    config = tmp_path / 'failing.py'
    config.write_text(
        f"_base_ = ['{QUICK_START}']\n"
        "custom_imports = dict(imports=['failing_hook'], allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='ExactResumeHook'), dict(type='TrainRecordHook'), dict(type='MaskScheduleHook'),\n"
        "                dict(type='FailOnRankOne')]\n"
        'train_cfg = dict(max_iters=200, val_interval=200)\n'
        'train_dataloader = dict(batch_size=16, num_workers=0, persistent_workers=False)\n'
    )
    env = dict(os.environ, PYTHONPATH=f'{ROOT}:{tmp_path}', PYTHON=sys.executable, OMP_NUM_THREADS='1', PORT='29527')
    start = time.time()
    proc = subprocess.run(['bash', 'tools/dist_train.sh', str(config), '2', '--work-dir', str(tmp_path / 'run')],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    assert 'injected failure on rank 1 at iteration 3' in out
    assert time.time() - start < 240  # ended, not hung in a collective until the timeout
