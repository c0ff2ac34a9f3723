"""End to end: train a tiny DiT with EMA, evaluate it, sample from it (grid + ADM-format npz)."""

import json
import os.path as osp
import sys

import numpy as np
import pytest

from .test_cli import sh

CONFIG = 'configs/dit/dit_p4_fmnist-mini.py'
TINY = [
    'model.denoiser.hidden_size=32',
    'model.denoiser.depth=2',
    'model.denoiser.num_heads=2',
    'model.diffusion.num_steps=100',
    'model.sampling.steps=5',
    'train_cfg.max_iters=20',
    'train_cfg.val_interval=10',
    'param_scheduler.0.end=5',
    'param_scheduler.1.begin=5',
    'param_scheduler.1.end=20',
    'default_hooks.checkpoint.interval=20',
    'train_dataloader.batch_size=16',
    'val_dataloader.dataset.indices=64',
    'custom_hooks.SampleVisHook.num_per_class=2',
]


@pytest.mark.slow
def test_train_sample_and_test_dit(tmp_path):
    work = str(tmp_path / 'dit')
    sh(sys.executable, 'tools/train.py', CONFIG, '--work-dir', work, '--cfg-options', *TINY)
    summary = json.load(open(osp.join(work, 'summary.json')))
    assert [v['iter'] for v in summary['val_history']] == [10, 20] and 'diffusion/mse' in summary['val']
    assert osp.getsize(osp.join(work, 'samples.png')) > 5000
    ckpt = osp.join(work, 'iter_20.pth')
    out_dir = str(tmp_path / 'samples')
    sampling = ['--num', '20', '--steps', '4', '--cfg-scale', '1.5', '--cfg-schedule', 'power-cosine']
    out = sh(sys.executable, 'tools/sample.py', CONFIG, ckpt, *sampling, '--out', out_dir, '--cfg-options', *TINY)
    assert 'EMA weights' in out.stdout
    npz = np.load(osp.join(out_dir, 'samples.npz'))
    assert npz['arr_0'].shape == (20, 32, 32, 1) and npz['arr_0'].dtype == np.uint8
    assert sorted(npz['arr_1'].tolist()) == sorted([i % 10 for i in range(20)])
    again = str(tmp_path / 'again')
    sh(sys.executable, 'tools/sample.py', CONFIG, ckpt, *sampling, '--out', again, '--cfg-options', *TINY)
    assert np.array_equal(np.load(osp.join(again, 'samples.npz'))['arr_0'], npz['arr_0'])  # seeded
    half = str(tmp_path / 'bf16')
    out = sh(sys.executable, 'tools/sample.py', CONFIG, ckpt, *sampling, '--amp', '--out', half, '--cfg-options', *TINY)
    assert 'bf16 autocast' in out.stdout
    diff = np.abs(np.load(osp.join(half, 'samples.npz'))['arr_0'].astype(int) - npz['arr_0'].astype(int))
    assert 0 < diff.mean() < 4  # same seed: the same images up to bf16 rounding in the networks
    sh(sys.executable, 'tools/test.py', CONFIG, ckpt, '--work-dir', work, '--cfg-options', *TINY)
    metrics = json.load(open(osp.join(work, 'test_metrics.json')))['metrics']
    assert metrics['diffusion/mse'] > 0


@pytest.mark.slow
def test_text_to_image_end_to_end(tmp_path):
    """Captioned Fashion-MNIST written, a text-conditioned DiT trained on it (prompt grid), sampled from prompts."""
    data = str(tmp_path / 'captions')
    sh(sys.executable, 'tools/data/make_fmnist_captions.py', data, '--limit', '64')
    config = 'configs/t2i/dit_p1-byte_fmnist-captions.py'
    tiny = [f'train_dataloader.dataset.data_root={data}/train', f'val_dataloader.dataset.data_root={data}/test',
            'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
            'train_dataloader.batch_size=16', 'val_dataloader.dataset.indices=16', 'model.denoiser.hidden_size=32',
            'model.denoiser.depth=2', 'model.denoiser.num_heads=2', 'model.denoiser.text_dim=16',
            'model.text_encoder.dim=16', 'model.text_encoder.num_heads=2', 'model.diffusion.num_steps=100',
            'model.sampling.steps=4', 'train_cfg.max_iters=8', 'train_cfg.val_interval=8', 'param_scheduler.0.end=2',
            'param_scheduler.1.begin=2', 'param_scheduler.1.end=8', 'default_hooks.checkpoint.interval=8',
            'custom_hooks.SampleVisHook.num_per_class=2']  # fmt: skip
    work = str(tmp_path / 'run')
    sh(sys.executable, 'tools/train.py', config, '--work-dir', work, '--cfg-options', *tiny)
    assert osp.getsize(osp.join(work, 'samples.png')) > 5000  # a row per prompt of the config
    prompts = tmp_path / 'prompts.txt'
    prompts.write_text('a light large plain t-shirt\n\na dark small patterned bag\n')
    out_dir = str(tmp_path / 'samples')
    sh(sys.executable, 'tools/sample.py', config, osp.join(work, 'iter_8.pth'), '--num', '4', '--prompts',
       str(prompts), '--cfg-scale', '2', '--out', out_dir, '--cfg-options', *tiny)  # fmt: skip
    npz = np.load(osp.join(out_dir, 'samples.npz'))
    assert npz['arr_0'].shape == (4, 32, 32, 1) and 'arr_1' not in npz.files
    assert npz['captions'].tolist() == ['a light large plain t-shirt'] * 2 + ['a dark small patterned bag'] * 2
