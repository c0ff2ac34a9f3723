"""Training through MMEngine's runner: exact resume, the per-iteration record, accumulation, auto-scale-lr."""

import json
import os.path as osp
import uuid

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from lmdkit.fileio import load_from_local_safe
from lmdkit.utils.run_summary import RunSummary

from ..conftest import tiny_runner_cfg


class StopAfter(Hook):
    """Ends training after ``n`` iterations, as a crash or a time limit would (the last checkpoint stays)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if runner.iter + 1 >= self.n:
            runner.train_loop.stop_training = True


def run(cfg, stop_after=None) -> Runner:
    cfg.experiment_name = f'test_{uuid.uuid4().hex[:8]}'  # runners share MMEngine's global instances by name
    runner = Runner.from_cfg(cfg)
    if stop_after:
        runner.register_hook(StopAfter(stop_after))
    runner.train()
    return runner


def records(work_dir):
    with open(osp.join(work_dir, 'train_record.jsonl')) as f:
        return [json.loads(line) for line in f]


def test_resume_is_bit_exact(tmp_path):
    n = 4
    straight = run(tiny_runner_cfg(tmp_path / 'straight', max_iters=2 * n))
    first = run(tiny_runner_cfg(tmp_path / 'split', max_iters=2 * n), stop_after=n)
    assert first.iter == n and osp.isfile(tmp_path / 'split' / f'iter_{n}.pth')
    cfg = tiny_runner_cfg(tmp_path / 'split', max_iters=2 * n)
    cfg.resume, cfg.load_from = True, str(tmp_path / 'split' / f'iter_{n}.pth')
    resumed = run(cfg)
    assert resumed.iter == 2 * n
    a, b = straight.model.state_dict(), resumed.model.state_dict()
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), f'{key} differs after resume'
    rows_a, rows_b = records(tmp_path / 'straight'), records(tmp_path / 'split')
    assert [r['iter'] for r in rows_b] == list(range(1, 2 * n + 1)), 'record must be truncated and continued'
    for key in ('loss', 'mask_ratio', 'lr'):
        assert [r[key] for r in rows_a] == [r[key] for r in rows_b], f'{key} trajectory differs'


def test_a_resumed_run_completes_its_summary_and_keeps_its_scores(tmp_path):
    """A session cut short leaves a summary of fewer iterations than planned (ablate.py resumes it); sample scores
    merged into it meanwhile (tools/eval_gen.py --work-dir) survive the resumed run's rewrite."""
    run(tiny_runner_cfg(tmp_path, max_iters=6), stop_after=3)
    first = RunSummary.read(str(tmp_path))
    assert (first.iters, first.max_iters, first.complete) == (3, 6, False)
    first.generative = {'convnet': {'iter_3': {'fid': 9.5}}}
    (tmp_path / 'summary.json').write_text(first.to_json())
    cfg = tiny_runner_cfg(tmp_path, max_iters=6)
    cfg.resume, cfg.load_from = True, str(tmp_path / 'iter_3.pth')
    run(cfg)
    done = RunSummary.read(str(tmp_path))
    assert (done.iters, done.complete) == (6, True) and done.generative == first.generative


def test_outputs_of_a_run(tmp_path):
    runner = run(tiny_runner_cfg(tmp_path, max_iters=6))
    summary = json.load(open(tmp_path / 'summary.json'))
    assert RunSummary.read(str(tmp_path)).to_dict() == summary  # the file is exactly the schema's view
    assert summary['iters'] == 6 and summary['final_loss'] == pytest.approx(records(tmp_path)[-1]['loss'])
    assert summary['val']['recon/mse'] > 0 and len(summary['config_hash']) == 16
    assert summary['efficiency']['MIT'] > 0 and summary['environment']['device'] in ('cpu', 'cuda')
    for name in ('curves.png', 'reconstruction.png', 'iter_6.pth'):
        assert osp.getsize(tmp_path / name) > 1000, name
    ratios = [r['mask_ratio'] for r in records(tmp_path)]
    assert ratios == sorted(ratios) and ratios[0] == pytest.approx(0.15)
    # our checkpoints are plain data: they load with weights_only=True and nothing allowed beyond torch's defaults
    ckpt = torch.load(tmp_path / 'iter_6.pth', weights_only=True)
    assert {'rng_state', 'message_hub', 'optimizer', 'state_dict'} <= set(ckpt)
    assert load_from_local_safe(str(tmp_path / 'iter_6.pth'))['meta']['iter'] == 6
    assert runner.iter == 6


def test_gradient_accumulation_and_auto_scale_lr(tmp_path):
    cfg = tiny_runner_cfg(tmp_path, max_iters=4)
    cfg.optim_wrapper.accumulative_counts = 2
    cfg.param_scheduler = []
    cfg.auto_scale_lr = dict(base_batch_size=16, enable=True)  # real batch 8 on 1 process: lr halves
    base_lr = cfg.optim_wrapper.optimizer.lr
    runner = run(cfg)
    assert runner.optim_wrapper.get_lr()['lr'][0] == pytest.approx(base_lr / 2)
    ratios = [r['mask_ratio'] for r in records(tmp_path)]
    # the ratio follows optimizer steps: constant within each accumulation group of two iterations
    assert ratios[0] == ratios[1] and ratios[2] == ratios[3] and ratios[1] < ratios[2]


def test_non_finite_loss_stops_with_a_clear_error(tmp_path):
    cfg = tiny_runner_cfg(tmp_path, max_iters=3)
    cfg.optim_wrapper.optimizer.lr = 1e30  # the first update blows the weights up
    cfg.param_scheduler = []
    with pytest.raises(FloatingPointError, match=r'training loss is (nan|inf) at iteration 2'):
        run(cfg)
