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
        '--tensorboard',
        '--cfg-options',
        *SMALL,
        'train_cfg.max_iters=20',
    )
    import glob

    assert glob.glob(osp.join(work, '*', 'vis_data', 'events.out.tfevents.*'))  # TensorBoard scalars were written
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
    # LMD generation: iterative unmasking from a prior fitted on the spot, and conditional completion
    samples = str(tmp_path / 'samples')
    ckpt = osp.join(work, 'iter_40.pth')
    sh(sys.executable, 'tools/sample.py', QUICK_START, ckpt, '--num', '6', '--steps', '3', '--out', samples,
       '--fit-prior', '64', '--complete', '4')  # fmt: skip
    import numpy as np

    with np.load(osp.join(samples, 'samples.npz')) as f:
        assert f['arr_0'].shape == (6, 32, 32, 1) and f['arr_0'].dtype == np.uint8
    assert osp.getsize(osp.join(samples, 'completion.png')) > 5000


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


@pytest.mark.slow
def test_train_vqgan_then_reconstruct(tmp_path):
    work = str(tmp_path / 'vq')
    cfg = 'configs/vqgan/vqgan_f4_fmnist.py'
    embedded = [f'{split}_dataloader.dataset.type=EmbeddedFashionMNIST' for split in ('train', 'val', 'test')]
    embedded += ['val_dataloader.dataset.indices=50', 'train_dataloader.num_workers=0',
                 'train_dataloader.persistent_workers=False']  # fmt: skip
    sh(sys.executable, 'tools/train.py', cfg, '--work-dir', work, '--cfg-options', *embedded,
       'train_cfg.max_iters=12', 'train_cfg.val_interval=12', 'param_scheduler.0.end=4', 'param_scheduler.1.begin=4',
       'param_scheduler.1.end=12', 'model.disc_start=8', 'model.projector.restart_every=4',
       'default_hooks.checkpoint.interval=12', 'custom_hooks.ReconstructionVisHook.interval=6')  # fmt: skip
    summary = json.load(open(osp.join(work, 'summary.json')))
    assert summary['iters'] == 12 and 'rec/psnr' in summary['val'] and summary['val']['vq/usage'] > 0
    assert osp.getsize(osp.join(work, 'reconstruction.png')) > 2000
    out = str(tmp_path / 'recon')
    sh(sys.executable, 'tools/reconstruct.py', cfg, osp.join(work, 'iter_12.pth'), '--out', out, '--num-images', '40',
       '--cfg-options', 'test_dataloader.dataset.type=EmbeddedFashionMNIST')  # fmt: skip
    metrics = json.load(open(osp.join(out, 'metrics.json')))
    assert metrics['num_images'] == 40 and metrics['psnr'] > 5 and 0 < metrics['codebook_usage'] <= 1
    assert osp.getsize(osp.join(out, 'reconstruction.png')) > 2000


@pytest.mark.slow
def test_benchmark_tool(tmp_path):
    out = str(tmp_path / 'bench.json')
    sh(sys.executable, 'tools/benchmark.py', QUICK_START, '--warmup', '1', '--repeat', '2', '--batch-size', '8',
       '--out', out)  # fmt: skip
    r = json.load(open(out))
    for key in ('s_per_iter', 'images_per_s', 'data_share', 'peak_memory_mb', 'flops_per_image', 'achieved_flops',
                'matmul_peak_flops', 'peak_ratio', 'markdown_row'):  # fmt: skip
        assert key in r, key
    assert r['flops_per_image'] > 1e6 and 0 < r['peak_ratio'] < 1.5 and r['images_per_s'] > 0
    assert r['sampling']['sampler'] == 'iterative-unmasking' and r['sampling']['images_per_s'] > 0  # LMD generates
    assert r['dtype'] == 'float32'
    # a config whose optimiser wrapper autocasts is reported in its real precision; --fp32 turns that off
    autocast = ['--cfg-options', 'optim_wrapper.type=AutocastOptimWrapper', 'optim_wrapper.dtype=bfloat16']
    for flag, dtype in (([], 'bfloat16'), (['--fp32'], 'float32')):
        sh(sys.executable, 'tools/benchmark.py', QUICK_START, '--warmup', '1', '--repeat', '1', '--batch-size', '8',
           '--sample-num', '0', '--out', out, *flag, *autocast)  # fmt: skip
        assert json.load(open(out))['dtype'] == dtype


@pytest.mark.slow
def test_benchmark_sampling_throughput(tmp_path):
    out = str(tmp_path / 'bench.json')
    tiny = ['model.denoiser.hidden_size=32', 'model.denoiser.depth=2', 'model.denoiser.num_heads=2']
    opts = ['--warmup', '1', '--repeat', '2', '--batch-size', '8', '--sample-num', '4', '--sample-steps', '3']
    sh(
        sys.executable,
        'tools/benchmark.py',
        'configs/dit/dit_p4_fmnist-mini.py',
        *opts,
        '--out',
        out,
        '--cfg-options',
        *tiny,
    )
    r = json.load(open(out))['sampling']
    assert r['num'] == 4 and r['steps'] == 3 and r['images_per_s'] > 0
    assert r['s_per_step'] == pytest.approx(r['seconds'] / 3)


@pytest.mark.slow
def test_benchmark_breakdown_splits_the_step(tmp_path):
    """MDTv2's step splits into its latents, both passes, backward and update; the parts sum to the step; --ops
    splits it by op kind."""
    out = str(tmp_path / 'bench.json')
    sh(sys.executable, 'tools/benchmark.py', 'configs/mdt/mdtv2_vqf4_fmnist-mini.py', '--warmup', '1', '--repeat', '2',
       '--batch-size', '8', '--breakdown', '--ops', '--no-sampling', '--out', out)  # fmt: skip
    r = json.load(open(out))
    parts = r['breakdown']
    ops = r['ops']  # the op kinds: matmuls, the update's ops counted as the optimiser's
    assert ops['parts']['matmul'] > 0 and ops['parts']['optimiser'] > 0
    assert sum(ops['parts'].values()) <= ops['total_s']
    assert 'sampling' not in r
    for key in ('lmdkit::latents', 'lmdkit::pass_full', 'lmdkit::pass_masked', 'lmdkit::backward',
                'lmdkit::optimizer'):  # fmt: skip
        assert parts[key] > 0, key
    assert parts['lmdkit::teacher'] == 0 and parts['lmdkit::pass_routed'] == 0  # no teacher, no token plan
    step = parts['total'] - parts['data']
    assert sum(v for k, v in parts.items() if k not in ('total', 'data')) == pytest.approx(step, rel=1e-6)


ABLATION = """
variants = [
    dict(name='mae', config='{mae}'),
    dict(name='lmd-uni', config='{lmd}',
         cfg_options={{'model.mask_scheduler': dict(type='UniformMaskScheduler')}}),
]
cfg_options = {{'train_cfg.max_iters': 30, 'train_cfg.val_interval': 30, 'param_scheduler.0.end': 5,
               'param_scheduler.1.begin': 5, 'param_scheduler.1.end': 30, 'default_hooks.checkpoint.interval': 30,
               'train_dataloader.batch_size': 8, 'val_dataloader.dataset.indices': 50,
               'custom_hooks.ReconstructionVisHook.num_images': 2}}
work_root = '{root}'
"""


@pytest.mark.slow
def test_ablation_tool_runs_skips_and_tabulates(tmp_path):
    root = str(tmp_path / 'abl')
    spec = tmp_path / 'abl.py'
    spec.write_text(ABLATION.format(mae=QUICK_START.replace('lmd/lmd_vitp_fmnist-mini_cos', 'mae/mae_vitp_fmnist-mini'),
                                    lmd=QUICK_START, root=root))  # fmt: skip
    sh(sys.executable, 'tools/ablate.py', str(spec))
    table = open(osp.join(root, 'table.md')).read()
    assert '| mae |' in table and '| lmd-uni |' in table and '| mean |' in table
    with open(osp.join(root, 'table.csv')) as f:
        assert len(f.read().strip().splitlines()) == 4  # header, two variants, mean
    assert osp.getsize(osp.join(root, 'loss_vs_time.png')) > 5000
    stamp = os.stat(osp.join(root, 'mae', 'summary.json')).st_mtime_ns
    sh(sys.executable, 'tools/ablate.py', str(spec))  # finished cells are skipped
    assert json.load(open(osp.join(root, 'status.json')))['status'] == {'mae': 'done', 'lmd-uni': 'done'}
    assert os.stat(osp.join(root, 'mae', 'summary.json')).st_mtime_ns == stamp
    ratios = [json.loads(line)['mask_ratio'] for line in open(osp.join(root, 'lmd-uni', 'train_record.jsonl'))]
    assert ratios[0] == pytest.approx(0.15) and ratios[-1] > 0.7  # the uniform schedule was applied
    out = sh(sys.executable, 'tools/analysis/efficiency.py', osp.join(root, 'mae'), osp.join(root, 'lmd-uni'))
    assert '| mae | 30 |' in out.stdout and 'lmd-uni' in out.stdout
