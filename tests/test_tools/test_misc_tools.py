"""Small tools: the mask-schedule plot and the resolved-config printer."""

import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config

from ..conftest import QUICK_START, ROOT
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


def load_ablate():
    import importlib.util

    spec = importlib.util.spec_from_file_location('ablate', osp.join(ROOT, 'tools', 'ablate.py'))
    ablate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ablate)
    return ablate


def test_ablate_resumes_a_variant_cut_short_and_skips_a_complete_one(tmp_path):
    import json

    ablate = load_ablate()
    variant = dict(name='v', config=QUICK_START, cfg_options={'train_cfg.max_iters': 4})
    run = tmp_path / 'v'
    run.mkdir()
    (run / 'iter_2.pth').write_bytes(b'')
    (run / 'last_checkpoint').write_text(str(run / 'iter_2.pth'))
    (run / 'summary.json').write_text(json.dumps(dict(iters=2, max_iters=4)))  # the session ended at 2 of 4
    assert ablate.run_variant(variant, {}, str(run), dry_run=True) == 'dry'
    assert '--resume' in ablate.train_command(variant, {}, str(run))
    (run / 'summary.json').write_text(json.dumps(dict(iters=4, max_iters=4)))
    assert ablate.run_variant(variant, {}, str(run), dry_run=True) == 'done'


def test_generative_results_reach_the_ablation_table_and_the_time_plot(tmp_path):
    """eval_gen.py results merged into summary.json: ablate.py's FID/class-consistency columns and
    plot_gen_metric.py's metric-vs-training-time curve."""
    import json

    ablate = load_ablate()
    run = tmp_path / 'run'
    run.mkdir()
    rows = [dict(iter=i, loss=1.0 / i, mask_ratio=None, lr=1e-3, time=0.5, data_time=0.0, wall=0.5 * i)
            for i in range(1, 41)]  # fmt: skip
    (run / 'train_record.jsonl').write_text(''.join(json.dumps(r) + '\n' for r in rows))
    gen = {'iter_20': dict(fid=9.0, class_consistency=0.5), 'iter_40': dict(fid=4.0, class_consistency=0.8)}
    summary = dict(iters=40, train_seconds=20.0, final_loss=0.025, efficiency=dict(MIT=0.5, MLI=1.0, MLT=0.5),
                   generative=dict(convnet=gen))  # fmt: skip
    (run / 'summary.json').write_text(json.dumps(summary))
    row = ablate.row_of('a', str(run))
    assert row['FID-convnet'] == 4.0 and row['cls-convnet'] == 0.8  # the latest evaluation
    assert {'FID-convnet', 'cls-convnet'} <= set(ablate.columns_of([row]))
    out = sh(sys.executable, 'tools/analysis/plot_gen_metric.py', str(run), '--net', 'convnet', '--out',
             str(tmp_path / 'fid.png'))  # fmt: skip
    assert '| run | 20 | 10 | 10 | 9 |' in out.stdout and osp.getsize(tmp_path / 'fid.png') > 5000
    out = sh(sys.executable, 'tools/analysis/plot_gen_metric.py', str(run), '--net', 'convnet', '--x', 'budget',
             '--s-per-iter', '0.25', '--out', str(tmp_path / 'fid_budget.png'))  # fmt: skip
    assert '| run | 40 | 20 | 20 | 10 | 4 |' in out.stdout  # 40 iterations x 0.25 s


@pytest.mark.parametrize('bias_grad', [False, True])
def test_bench_attention_times_every_path(tmp_path, bias_grad):
    import json

    out = tmp_path / 'attn.json'
    sh(sys.executable, 'tools/analysis/bench_attention.py', '--batch', '2', '--heads', '2', '--dim', '8', '--tokens',
       '4', '9', '--repeat', '1', '--device', 'cpu', '--out', str(out),
       *(['--bias-grad'] if bias_grad else []))  # fmt: skip
    rows = json.loads(out.read_text())
    assert [(r['dtype'], r['tokens']) for r in rows] == [('float32', 4), ('float32', 9), ('bfloat16', 4),
                                                          ('bfloat16', 9)]  # fmt: skip
    assert all(r['bias_grad'] is bias_grad for r in rows)
    assert all(r[k] > 0 for r in rows for k in ('fused_ms', 'matmul_ms', 'dispatch_ms', 'fused_over_matmul',
                                                 'fused_over_dispatch'))  # fmt: skip


def test_bench_optimizers_times_every_variant_and_they_agree(tmp_path):
    import json

    import torch
    from timm.optim import Adan

    out = tmp_path / 'opt.json'
    sh(sys.executable, 'tools/analysis/bench_optimizers.py', '--model', 'vit_tiny_patch16_224', '--pairs', '1', '--out',
       str(out))  # fmt: skip
    rows = json.loads(out.read_text())
    assert [r['optimizer'] for r in rows] == ['AdamW, loop', 'AdamW, foreach', 'AdamW, fused', 'Adan, loop',
                                              'Adan, foreach']  # fmt: skip
    assert all(r['seconds'] > 0 and r['speedup'] > 0 for r in rows)
    # the faster forms compute the same update as the loops: fused AdamW (lmdkit's AdamW configs) and foreach Adan
    # (timm's default on CUDA); sizes past one AVX-512 vector and with a tail, so the vector paths run
    torch.manual_seed(0)
    weights = [torch.randn(37, 19), torch.randn(1000, 3)]
    for make_loop, make_fast in ((lambda ps: torch.optim.AdamW(ps, lr=0.1, foreach=False),
                                  lambda ps: torch.optim.AdamW(ps, lr=0.1, fused=True)),
                                 (lambda ps: Adan(ps, lr=0.1, weight_decay=0.05, foreach=False),
                                  lambda ps: Adan(ps, lr=0.1, weight_decay=0.05, foreach=True))):  # fmt: skip
        a = [w.clone().requires_grad_() for w in weights]
        b = [w.clone().requires_grad_() for w in weights]
        opt_a, opt_b = make_loop(a), make_fast(b)
        for step in range(3):
            for p, q in zip(a, b):
                p.grad = torch.full_like(p, 0.3 * (step + 1)) * torch.arange(p.numel()).reshape(p.shape)
                q.grad = p.grad.clone()
            opt_a.step()
            opt_b.step()
        for p, q in zip(a, b):
            torch.testing.assert_close(q, p, rtol=1e-5, atol=1e-6)


def test_one_variant_per_device(tmp_path):
    """ablate.py --gpus: jobs see exactly one device each, never share one at the same time, all jobs run, and a
    failing job is reported without stopping the others."""
    import json

    ablate = load_ablate()
    script = (
        'import json, os, sys, time; t0 = time.time(); time.sleep(0.3); '
        "json.dump(dict(dev=os.environ['CUDA_VISIBLE_DEVICES'], start=t0, end=time.time()), "
        "open(sys.argv[1], 'w')); sys.exit(int(sys.argv[2]))"
    )
    jobs = [(f'v{i}', [sys.executable, '-c', script, str(tmp_path / f'v{i}.json'), '3' if i == 2 else '0'],
             str(tmp_path / f'v{i}' / 'ablate.log')) for i in range(5)]  # fmt: skip
    status = ablate.run_on_devices(jobs, ['0', '1'], poll=0.05)
    assert {k: v.split(' ')[0] for k, v in status.items()} == dict(v0='ran', v1='ran', v2='failed', v3='ran',
                                                                   v4='ran')  # fmt: skip
    assert 'exit 3' in status['v2']
    runs = [json.loads((tmp_path / f'v{i}.json').read_text()) for i in range(5)]
    assert {r['dev'] for r in runs} == {'0', '1'}
    for a in runs:  # never two jobs on one device at once
        for b in runs:
            if a is not b and a['dev'] == b['dev']:
                assert a['end'] <= b['start'] or b['end'] <= a['start']
    assert max(r['start'] for r in runs[:2]) < min(r['end'] for r in runs[:2])  # two ran concurrently


def test_table_only_rebuilds_table_and_plots_with_the_spec_score(tmp_path):
    """ablate.py --table-only runs nothing, and writes the table, the loss curves against seconds and iterations
    and the score bars of the spec's ``score`` column."""
    import json

    for name, mse in (('ref', 0.2), ('other', 0.15)):
        run = tmp_path / 'root' / name
        run.mkdir(parents=True)
        rows = [dict(iter=i, loss=1.0 / i, mask_ratio=None, lr=1e-3, time=0.5, data_time=0.0, wall=0.5 * i)
                for i in range(1, 41)]  # fmt: skip
        (run / 'train_record.jsonl').write_text(''.join(json.dumps(r) + '\n' for r in rows))
        summary = dict(iters=40, train_seconds=20.0, final_loss=0.025, efficiency=dict(MIT=0.5, MLI=1.0, MLT=0.5),
                       val={'diffusion/mse': mse})  # fmt: skip
        (run / 'summary.json').write_text(json.dumps(summary))
    spec = tmp_path / 'grid.py'
    spec.write_text(f"variants = [dict(name='ref', config='{QUICK_START}'), dict(name='other', config='{QUICK_START}'),"
                    f" dict(name='never-ran', config='{QUICK_START}')]\nwork_root = '{tmp_path / 'root'}'\n"
                    "score = 'val_diffusion_mse'\n")  # fmt: skip
    out = sh(sys.executable, 'tools/ablate.py', str(spec), '--table-only').stdout
    assert '[ablate] never-ran' not in out and '| other | 40 |' in out and '| 0.15 |' in out
    for png in ('loss_vs_time.png', 'loss_vs_iter.png', 'score_val_diffusion_mse.png'):
        assert osp.getsize(tmp_path / 'root' / png) > 5000, png
    assert not (tmp_path / 'root' / 'never-ran').exists() and not (tmp_path / 'root' / 'status.json').exists()
    spec.write_text(spec.read_text().replace("score = 'val_diffusion_mse'", "score = 'top1'"))  # no probe ran yet
    out = sh(sys.executable, 'tools/ablate.py', str(spec), '--table-only').stdout
    assert "no bar plot: score column 'top1' has no number in any row" in out


def test_score_checkpoints_plans_only_the_unscored_checkpoints_of_finished_runs(tmp_path):
    import json

    finished, training = tmp_path / 'dit', tmp_path / 'mdt'
    for run in (finished, training):
        run.mkdir()
        (run / f'{run.name}.py').write_text('')
        for n in (250, 500, 1000):
            (run / f'iter_{n}.pth').write_bytes(b'')
    (finished / 'summary.json').write_text(json.dumps({'generative': {'convnet_fmnist': {'iter_500': {}}}}))
    proc = sh(sys.executable, 'tools/analysis/score_checkpoints.py', str(finished), str(training), '--classifier',
              'configs/evaluation/convnet_fmnist.py', 'cls.pth', '--dry-run', '--', '--cfg-scale', '2')  # fmt: skip
    out = proc.stdout
    assert '2 checkpoint(s) to score with convnet_fmnist' in out and f'{training}: not finished' in out
    lines = out.splitlines()
    samples = [ln for ln in lines if 'tools/sample.py' in ln]
    assert [osp.basename(ln.split()[3]) for ln in samples] == ['iter_1000.pth', 'iter_250.pth']  # final first
    assert all(ln.endswith('--cfg-scale 2') and str(finished / 'dit.py') in ln for ln in samples)
    assert sum('--tag iter_1000' in ln for ln in lines) == 1
    (training / 'summary.json').write_text('{}')
    out = sh(sys.executable, 'tools/analysis/score_checkpoints.py', str(finished), str(training), '--classifier',
             'configs/evaluation/convnet_fmnist.py', 'cls.pth', '--dry-run', '--last', '2').stdout  # fmt: skip
    ckpts = [osp.relpath(ln.split()[3], tmp_path) for ln in out.splitlines() if 'tools/sample.py' in ln]
    assert ckpts == ['dit/iter_1000.pth', 'mdt/iter_1000.pth', 'mdt/iter_500.pth']  # the last two, 500 done
    attrs = ['--attributes', 'data/fmnist_captions']
    out = sh(
        sys.executable,
        'tools/analysis/score_checkpoints.py',
        str(finished),
        '--classifier',
        'configs/evaluation/convnet_fmnist.py',
        'cls.pth',
        '--dry-run',
        *attrs,
        '--',
        '--prompts',
        'p.txt',
    ).stdout
    ckpts = [osp.basename(ln.split()[3]) for ln in out.splitlines() if 'tools/sample.py' in ln]
    assert ckpts == ['iter_1000.pth', 'iter_500.pth', 'iter_250.pth']  # iter_500 has no attribute scores yet
    evals = [ln for ln in out.splitlines() if 'tools/eval_gen.py' in ln]
    assert len(evals) == 3 and all(ln.endswith(' '.join(attrs)) for ln in evals)
    proc = subprocess.run([sys.executable, 'tools/analysis/score_checkpoints.py', str(finished), '--classifier', 'c.py',
                           'cls.pth', *attrs], cwd=ROOT, capture_output=True, text=True)  # fmt: skip
    assert proc.returncode != 0 and 'sample from them (-- --prompts FILE)' in proc.stderr
