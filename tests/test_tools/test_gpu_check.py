"""tools/analysis/gpu_check.py on a CPU-only machine: the same code paths at toy sizes, with the CUDA-only parts
named as skipped."""

import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from ..conftest import ROOT

MODELS = ['lmd_vitb', 'mae_vitb', 'dit_xl2', 'mdtv2_xl2', 'vitb_finetune']


@pytest.mark.slow
def test_gpu_check_runs_every_model_single_ddp_and_fsdp2_on_cpu(tmp_path):
    out = str(tmp_path / 'check')
    done = subprocess.run([sys.executable, 'tools/analysis/gpu_check.py', '--out', out], cwd=ROOT,
                          env=dict(os.environ, OMP_NUM_THREADS='1'), capture_output=True, text=True,
                          timeout=900)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.load(open(osp.join(out, 'gpu_check.json')))
    assert report['failures'] == []
    runs = {(r['model'], r['parallel']): r for r in report['runs']}
    assert set(runs) == {(m, p) for m in MODELS for p in ('single', 'ddp', 'fsdp2')}
    for (model, parallel), r in runs.items():
        assert r['finite'] and r['images_per_s_per_device'] > 0 and 0 < r['mfu'] < 1, (model, parallel)
        assert r['flops_per_step'] > 0 and r['devices'] == (1 if parallel == 'single' else 2)
    for model in ('lmd_vitb', 'mae_vitb', 'vitb_finetune'):  # reconstruction and classification fall fast
        assert runs[(model, 'single')]['loss_fell'], runs[(model, 'single')]
    for model in MODELS:  # the gathered FSDP2 checkpoint, loaded without FSDP, computes the sharded model's loss
        assert runs[(model, 'fsdp2')]['reload_ok'], runs[(model, 'fsdp2')]
        # DDP and FSDP2 train the same weights on the same batches (mixup draws differ per process: not compared)
        if model != 'vitb_finetune':
            ddp, fsdp = runs[(model, 'ddp')], runs[(model, 'fsdp2')]
            assert abs(ddp['last_loss'] - fsdp['last_loss']) <= 1e-3 * abs(ddp['last_loss']), model
    assert {a['model'] for a in report['agreement']} == set(MODELS)
    assert all(a['ok'] and len(a['bf16']) == 3 for a in report['agreement'])
    skipped = ' '.join(report['skipped'])
    assert 'fp16' in skipped and 'torch.compile' in skipped
    table = open(osp.join(out, 'gpu_check.md')).read()
    assert table.count('\n| ') == 1 + len(runs)  # the header and one row per run


def load_tool():
    import importlib.util

    spec = importlib.util.spec_from_file_location('gpu_check_tool', osp.join(ROOT, 'tools/analysis/gpu_check.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_failing_run_is_reported_and_the_check_goes_on():
    tool = load_tool()

    def out_of_memory():
        raise RuntimeError('CUDA out of memory. Tried to allocate 2.00 GiB')

    record = tool.guarded(out_of_memory, model='dit_xl2', precision='bf16', compiled=True)
    assert record['model'] == 'dit_xl2' and record['precision'] == 'bf16' and record['compiled']
    assert 'RuntimeError: CUDA out of memory' in record['error']
    report = dict(command='x', runs=[record], agreement=[], skipped=[],
                  environment=dict(device='cpu', devices=1, torch='2', bf16_peak_tflops=1.0))  # fmt: skip
    assert len(tool.failures(report)) == 1 and 'the run failed' in tool.failures(report)[0]
    row = [line for line in tool.markdown(report).splitlines() if line.startswith('| dit_xl2')][0]
    assert 'FAILED: RuntimeError: CUDA out of memory' in row and '--batch-scale 0.5' in row
