"""The test program in the library (``lmdkit.apis.evaluate``): a checkpoint is evaluated weights-only and strictly,
and Python gets the metrics tools/test.py prints."""

import pytest
import torch

from lmdkit.apis.evaluate import build_test_runner, prepare_test_config
from lmdkit.apis.train import ConfigError, build_runner

from ..conftest import QUICK_START
from .test_train import SHORT


def test_a_test_config_loads_weights_only_and_strictly(tmp_path):
    ckpt = tmp_path / 'iter_1.pth'
    ckpt.write_bytes(b'x')
    cfg = prepare_test_config(QUICK_START, str(ckpt), {'resume': True})
    assert cfg.load_from == str(ckpt) and cfg.resume is False  # a saved config's resume=True is not a resume
    assert cfg.work_dir.endswith('lmd_vitp_fmnist-mini_cos')
    (hook,) = [h for h in cfg.custom_hooks if h['type'] == 'CheckpointLoadHook']
    assert hook['strict'] is True and hook['resume'] is False
    partial = prepare_test_config(QUICK_START, str(ckpt), work_dir=str(tmp_path / 'w'), partial=True)
    assert partial.work_dir == str(tmp_path / 'w')
    assert [h for h in partial.custom_hooks if h['type'] == 'CheckpointLoadHook'][0]['strict'] is False
    with pytest.raises(ConfigError, match='checkpoint not found: .*absent.pth'):
        prepare_test_config(QUICK_START, str(tmp_path / 'absent.pth'))


@pytest.mark.slow
def test_python_evaluates_what_training_saved(tmp_path):
    build_runner(QUICK_START, dict(SHORT), work_dir=str(tmp_path / 'run')).train()
    metrics = build_test_runner(QUICK_START, str(tmp_path / 'run' / 'iter_6.pth'), cfg_options=dict(SHORT),
                                work_dir=str(tmp_path / 'test')).test()  # fmt: skip
    assert 0 < metrics['recon/mse'] < 10 and torch.isfinite(torch.tensor(metrics['recon/nmse']))
