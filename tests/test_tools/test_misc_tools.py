"""Small tools: the mask-schedule plot and the resolved-config printer."""

import os.path as osp
import sys

from mmengine.config import Config

from ..conftest import QUICK_START
from .test_cli import sh


def test_plot_mask_schedule_all_and_from_config(tmp_path):
    out = str(tmp_path / 'schedules.png')
    sh(sys.executable, 'tools/analysis/plot_mask_schedule.py', '--iters', '200', '--out', out)
    assert osp.getsize(out) > 10_000
    one = str(tmp_path / 'ps.png')
    sh(sys.executable, 'tools/analysis/plot_mask_schedule.py', '--config', 'configs/lmd/lmd_vitp_fmnist-mini_ps.py',
       '--iters', '50', '--out', one)  # fmt: skip
    assert osp.getsize(one) > 5_000


def test_print_config_resolves_bases_and_options(tmp_path):
    dumped = str(tmp_path / 'resolved.py')
    out = sh(sys.executable, 'tools/misc/print_config.py', QUICK_START, '--cfg-options', 'train_cfg.max_iters=7',
             '--out', dumped).stdout  # fmt: skip
    assert 'CosineMaskScheduler' in out and 'max_iters=7' in out and '_base_' not in out.split('\n', 1)[1]
    cfg = Config.fromfile(dumped)
    assert cfg.train_cfg.max_iters == 7 and cfg.model.type == 'LMD'
