"""The training program in the library (``lmdkit.apis.train``): ``build_runner`` in Python and tools/train.py on the
command line run the same program, and its checks stop bad configs and options before anything is built."""

import glob
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from lmdkit.apis.train import (
    ConfigError,
    TrainOptions,
    add_training_hooks,
    build_runner,
    prepare_config,
    train_options,
)
from lmdkit.utils.config_check import load_config

from ..conftest import QUICK_START, ROOT

SHORT = {
    'train_cfg.max_iters': 6,
    'train_cfg.val_interval': 6,
    'default_hooks.checkpoint.interval': 6,
    'default_hooks.logger.interval': 3,
    'param_scheduler.0.end': 2,
    'param_scheduler.1.begin': 2,
    'param_scheduler.1.end': 6,
    'train_dataloader.batch_size': 8,
    'train_dataloader.num_workers': 0,
    'val_dataloader.num_workers': 0,
}


def _dumped_config(work_dir: str) -> Config:
    """The config MMEngine's runner wrote at start (``<work_dir>/<timestamp>/vis_data/config.py``)."""
    (path,) = glob.glob(osp.join(work_dir, '*', 'vis_data', 'config.py'))
    cfg = Config.fromfile(path)
    cfg.pop('work_dir')
    return cfg


@pytest.mark.slow
def test_python_and_the_command_line_train_the_same_run(tmp_path):
    cli, lib = str(tmp_path / 'cli'), str(tmp_path / 'lib')
    threads = str(torch.get_num_threads())  # the same kernels' reduction order in both processes
    cmd = [sys.executable, 'tools/train.py', QUICK_START, '--work-dir', cli, '--cfg-options',
           *(f'{k}={v}' for k, v in SHORT.items())]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS=threads)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]

    runner = build_runner(QUICK_START, dict(SHORT), work_dir=lib)
    runner.train()

    assert _dumped_config(cli).to_dict() == _dumped_config(lib).to_dict()  # one program: hooks, resume, recipe
    expected = {'NonFiniteGuardHook', 'InterruptCheckpointHook', 'RngGatherHook', 'ExactResumeHook'}
    assert expected <= {type(h).__name__ for h in runner.hooks}
    a = torch.load(osp.join(cli, 'iter_6.pth'), map_location='cpu', weights_only=True)['state_dict']
    b = torch.load(osp.join(lib, 'iter_6.pth'), map_location='cpu', weights_only=True)['state_dict']
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=1e-6, msg=key)


def test_options_are_checked_and_named():
    with pytest.raises(TypeError, match=r"unknown training option\(s\) \['resum'\]"):
        train_options(resum='auto')
    with pytest.raises(ConfigError, match='--resume /nonexistent.pth: no such file'):
        prepare_config(QUICK_START, options=TrainOptions(resume='/nonexistent.pth', work_dir='/tmp/x-never'))


def test_config_problems_stop_before_anything_is_built(tmp_path):
    with pytest.raises(ConfigError, match="model.backbone.dept: MAEViT has no argument 'dept'"):
        prepare_config(QUICK_START, {'model.backbone.dept': 2}, TrainOptions(work_dir=str(tmp_path / 'w')))
    assert not (tmp_path / 'w').exists()


def test_every_run_gets_the_safety_hooks_unless_its_config_turns_them_off(tmp_path):
    cfg = prepare_config(QUICK_START, options=TrainOptions(work_dir=str(tmp_path)))
    hooks = [h['type'] for h in cfg.custom_hooks]
    assert {'NonFiniteGuardHook', 'InterruptCheckpointHook'} <= set(hooks)
    assert hooks.count('NonFiniteGuardHook') == 1
    off = prepare_config(QUICK_START, {'nonfinite_guard': None}, TrainOptions(work_dir=str(tmp_path)))
    assert 'NonFiniteGuardHook' not in [h['type'] for h in off.custom_hooks]
    again = prepare_config(cfg, options=TrainOptions(work_dir=str(tmp_path)))  # a prepared config: no duplicates
    assert [h['type'] for h in again.custom_hooks].count('NonFiniteGuardHook') == 1


def test_resume_auto_takes_the_newest_checkpoint_or_starts_fresh(tmp_path):
    fresh = prepare_config(QUICK_START, options=TrainOptions(work_dir=str(tmp_path), resume='auto'))
    assert fresh.resume is False
    (tmp_path / 'iter_4.pth').write_bytes(b'x')
    found = prepare_config(QUICK_START, options=TrainOptions(work_dir=str(tmp_path), resume='auto'))
    assert found.resume is True and found.load_from.endswith('iter_4.pth')


def test_guarded_runs_build_optim_wrapper_configs_with_the_guard_seam(tmp_path):
    guarded = prepare_config(QUICK_START, options=TrainOptions(work_dir=str(tmp_path)))
    assert guarded.optim_wrapper.type == 'GuardedOptimWrapper'
    off = prepare_config(QUICK_START, {'nonfinite_guard': None}, TrainOptions(work_dir=str(tmp_path)))
    assert off.optim_wrapper.type == 'OptimWrapper'  # the config's own wrapper when nothing guards it
    bf16 = prepare_config(QUICK_START, options=TrainOptions(work_dir=str(tmp_path), amp=True))
    assert bf16.optim_wrapper.type == 'AutocastOptimWrapper' and bf16.optim_wrapper.dtype == 'bfloat16'


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the refusal on a machine without CUDA')
def test_fp16_without_cuda_is_refused_before_anything_is_built(tmp_path):
    with pytest.raises(ConfigError, match='--amp fp16 needs a CUDA device'):
        prepare_config(QUICK_START, options=TrainOptions(work_dir=str(tmp_path), amp='fp16'))


def test_the_algorithm_brings_the_hooks_its_training_needs(tmp_path):
    def hooks(config, cfg_options=None):
        cfg = prepare_config(osp.join(ROOT, config), cfg_options, TrainOptions(work_dir=str(tmp_path)))
        return [h['type'] for h in cfg.custom_hooks]

    assert hooks('configs/lmd/lmd_vitp_fmnist-mini_cos.py').count('ProgressHook') == 1  # not listed in the config
    assert hooks('configs/mdt/mdtv2_vqf4_fmnist-mini.py').count('ProgressHook') == 1  # MDT: a mask_scheduler
    assert 'ProgressHook' not in hooks('configs/dit/dit_p4_fmnist-mini.py')  # DiT: nothing to schedule
    assert 'ProgressHook' in hooks('configs/vqgan/vqgan_f4_fmnist.py')  # the discriminator starts later
    listed = hooks('configs/lmd/lmd_vitp_fmnist-mini_cos.py', {'custom_hooks': [dict(type='MaskScheduleHook')]})
    assert 'ProgressHook' not in listed  # the older name is the same hook: never twice
    run_hooks = ['ExactResumeHook', 'TrainRecordHook']  # every run's, first, unless a config turns one off
    assert hooks('configs/lmd/lmd_vitp_fmnist-mini_cos.py')[:3] == [*run_hooks, 'ReconstructionVisHook']
    assert 'TrainRecordHook' not in hooks('configs/lmd/lmd_vitp_fmnist-mini_cos.py', {'train_record': None})
    in1k = add_training_hooks(load_config(osp.join(ROOT, 'configs/lmd/lmd_vitb_in1k.py')))  # (no ImageNet here)
    assert [h for h in in1k.custom_hooks if h['type'] == 'TrainRecordHook'] == [dict(type='TrainRecordHook',
                                                                                   flush_interval=200)]  # fmt: skip


def test_a_listed_run_hook_takes_its_keys_arguments_and_none_turns_it_off(tmp_path):
    """Saved configs of older runs list TrainRecordHook and the guard themselves: the top-level keys still apply."""
    old = {'custom_hooks': [dict(type='TrainRecordHook', flush_interval=200), dict(type='ReconstructionVisHook')],
           'train_record.targets': {'loss': 0.5}, 'interrupt_checkpoint': None}  # fmt: skip
    cfg = prepare_config(QUICK_START, old, TrainOptions(work_dir=str(tmp_path)))
    records = [h for h in cfg.custom_hooks if h['type'] == 'TrainRecordHook']
    assert records == [dict(type='TrainRecordHook', flush_interval=200, targets={'loss': 0.5})]
    assert 'InterruptCheckpointHook' not in [h['type'] for h in cfg.custom_hooks]


def test_an_optim_wrapper_named_any_way_gets_the_guard_seam(tmp_path):
    from mmengine.optim import OptimWrapper

    for kind in ('mmengine.OptimWrapper', OptimWrapper):
        cfg = prepare_config(QUICK_START, {'optim_wrapper.type': kind}, TrainOptions(work_dir=str(tmp_path)))
        assert cfg.optim_wrapper.type == 'GuardedOptimWrapper'
