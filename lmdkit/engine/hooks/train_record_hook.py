"""Per-iteration training record, curves and the run's ``summary.json``."""

import hashlib
import json
import math
import os
import os.path as osp
import platform
import time
from typing import List, Optional

import torch
from mmengine.dist import get_world_size, is_main_process
from mmengine.hooks import Hook

from lmdkit.fileio import atomic_write, pointed_checkpoint
from lmdkit.registry import HOOKS
from lmdkit.utils.run_summary import SUMMARY_FILE, RunSummary
from lmdkit.utils.smoothing import ema_smooth
from lmdkit.version import __version__

from ...evaluation.efficiency import efficiency_metrics, mat_at_k
from ...visualization.curves import RECORD_FILE, plot_loss_and_mask_ratio, read_record
from .nonfinite_guard_hook import NonFiniteGuardHook


def environment_info() -> dict:
    """Versions and hardware a run's numbers depend on."""
    import mmengine

    info = dict(
        lmdkit=__version__,
        torch=torch.__version__,
        mmengine=mmengine.__version__,
        python=platform.python_version(),
        platform=platform.platform(),
        cpu_count=os.cpu_count(),
        torch_threads=torch.get_num_threads(),
        world_size=get_world_size(),
        device='cuda' if torch.cuda.is_available() else 'cpu',
    )
    if torch.cuda.is_available():
        info['gpu'] = torch.cuda.get_device_name(0)
    return info


def time_to_target(targets: dict, rows: List[dict], val_history: List[dict], span: int = 50) -> dict:
    """First iteration and training seconds at which each target was reached (or ``'not reached'``)."""
    out = {}
    for name, target in targets.items():
        higher = any(word in name for word in ('accuracy', 'top'))
        if name == 'loss':
            smoothed = ema_smooth([r['loss'] for r in rows], span)
            points = [(r['iter'], r['wall'], v) for r, v in zip(rows, smoothed)]
        else:
            points = [(v['iter'], v['wall'], v[name]) for v in val_history if name in v]
        hit = next(((i, t) for i, t, v in points if (v >= target if higher else v <= target)), None)
        out[name] = dict(target=target, iter=hit[0], seconds=hit[1]) if hit else dict(target=target, reached=False)
    return out


@HOOKS.register_module()
class TrainRecordHook(Hook):
    """Writes one JSON line per training iteration to ``WORK_DIR/train_record.jsonl`` and, at the end of
    training, ``summary.json`` (final and efficiency metrics, config hash, environment) and ``curves.png``.

    Each line holds ``iter`` (completed iterations), ``loss``, ``mask_ratio``, ``grad_norm``, ``lr``, ``time``
    (whole step, seconds), ``data_time`` and ``wall`` (cumulative step time). A resumed run truncates lines past
    the checkpoint and appends. The loss arrives as a float, read with the step's gradient check (its only host
    sync, ``lmdkit.utils.step_readout``); without NonFiniteGuardHook a non-finite loss stops training with an
    error naming the iteration.

    Args:
        flush_interval: iterations between writes to disk (also flushed before every checkpoint).
        skip, span, tol: efficiency-metric settings (docs/metrics.md).
        plot: write ``curves.png`` at the end.
        targets: time-to-target: ``{metric: value}`` for validation metrics (e.g. ``{'recon/nmse': 0.45}``) or
            ``'loss'`` for the smoothed training loss; lower is better unless the name contains 'accuracy' or
            'top'. ``summary.json`` gets the first iteration and training seconds at which each was reached.
    """

    priority = 'BELOW_NORMAL'  # after IterTimerHook has measured the step

    def __init__(self, flush_interval: int = 50, skip: int = 20, span: int = 50, tol: float = 0.01, plot: bool = True,
                 targets: Optional[dict] = None):  # fmt: skip
        self.flush_interval, self.skip, self.span, self.tol, self.plot = flush_interval, skip, span, tol, plot
        self.targets = dict(targets or {})
        self._pending: List[dict] = []
        self._wall = 0.0
        self.val_history: List[dict] = []

    # ------------------------------------------------------------------ paths
    @staticmethod
    def record_path(runner) -> str:
        return osp.join(runner.work_dir, RECORD_FILE)

    def before_train(self, runner) -> None:
        self._start = time.perf_counter()
        if not is_main_process():
            return
        path = self.record_path(runner)
        rows = []
        if runner.iter > 0 and osp.isfile(path):  # resumed: keep rows up to the checkpoint
            with open(path) as f:
                rows = [json.loads(line) for line in f if line.strip()]
            rows = [r for r in rows if r['iter'] <= runner.iter]
            self._wall = rows[-1]['wall'] if rows else 0.0
        atomic_write(path, lambda f: f.write(''.join(json.dumps(r) + '\n' for r in rows)), mode='w')

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs: Optional[dict] = None) -> None:
        # a float already when NonFiniteGuardHook read it with the step's gradient check (one host sync per step)
        loss = float(outputs['loss']) if outputs and 'loss' in outputs else float('nan')
        if not math.isfinite(loss) and not self._guarded(runner):
            raise FloatingPointError(
                f'training loss is {loss} at iteration {runner.iter + 1}; lower the learning rate, enable gradient '
                'clipping (optim_wrapper.clip_grad) or check the data. The last good checkpoint is in '
                f'{runner.work_dir}'
            )
        if not is_main_process():
            return
        hub = runner.message_hub
        step_time = float(hub.get_scalar('train/time').current()) if 'train/time' in hub.log_scalars else 0.0
        data_time = float(hub.get_scalar('train/data_time').current()) if 'train/data_time' in hub.log_scalars else 0.0
        ratio = float(outputs['mask_ratio']) if outputs and 'mask_ratio' in outputs else None  # the model's own
        grad_norm = float(hub.get_scalar('train/grad_norm').current()) if 'train/grad_norm' in hub.log_scalars else None
        lr = runner.optim_wrapper.get_lr()
        self._wall += step_time
        self._pending.append(
            dict(
                iter=runner.iter + 1,
                loss=loss if math.isfinite(loss) else None,  # a step NonFiniteGuardHook skipped
                mask_ratio=ratio,
                grad_norm=grad_norm if grad_norm is None or math.isfinite(grad_norm) else None,  # before clipping
                lr=float(max(next(iter(lr.values())))) if lr else None,  # the base lr under layer-wise decay
                time=step_time,
                data_time=data_time,
                wall=self._wall,
            )
        )
        if len(self._pending) >= self.flush_interval:
            self._flush(runner)

    @staticmethod
    def _guarded(runner) -> bool:
        """Whether a NonFiniteGuardHook skips non-finite steps in this run (then a NaN loss is recorded, not fatal)."""
        return any(isinstance(h, NonFiniteGuardHook) for h in runner.hooks)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        self._flush(runner)

    def after_val_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        if metrics:
            self.val_history.append(
                dict(iter=runner.iter, wall=self._wall, **{k: float(v) for k, v in metrics.items()})
            )

    def _flush(self, runner) -> None:
        if not self._pending or not is_main_process():
            return
        with open(self.record_path(runner), 'a') as f:
            f.writelines(json.dumps(r) + '\n' for r in self._pending)
        self._pending = []

    # ------------------------------------------------------------------ end of training
    def after_train(self, runner) -> None:
        self._flush(runner)
        if not is_main_process():
            return
        rows = read_record(self.record_path(runner))
        losses = [r['loss'] for r in rows]
        summary = RunSummary(
            config=runner.cfg.filename,
            config_hash=hashlib.sha256(runner.cfg.pretty_text.encode()).hexdigest()[:16],
            experiment_name=runner.experiment_name,
            work_dir=osp.abspath(runner.work_dir),
            iters=runner.iter,  # optimiser steps, skipped non-finite ones included (the record leaves those out)
            max_iters=runner.max_iters,
            train_seconds=rows[-1]['wall'] if rows else 0.0,
            session_seconds=time.perf_counter() - self._start,
            final_loss=losses[-1] if losses else None,
            final_mask_ratio=rows[-1]['mask_ratio'] if rows else None,
            skipped_steps=int(runner.message_hub.get_info('skipped_steps', 0) or 0),  # NonFiniteGuardHook
            efficiency=efficiency_metrics(losses, [r['time'] for r in rows], self.skip, self.span, self.tol),
            val=self.val_history[-1] if self.val_history else None,
            val_history=self.val_history,
            time_to_target=time_to_target(self.targets, rows, self.val_history, self.span),
            MAT={
                f'MAT@{k}': mat_at_k(self.val_history, k)
                for k in (1, 5)
                if any(f'accuracy/top{k}' in v for v in self.val_history)
            },  # fmt: skip
            last_checkpoint=pointed_checkpoint(runner.work_dir),
            environment=environment_info(),
        )
        path = osp.join(runner.work_dir, SUMMARY_FILE)
        if runner.cfg.get('resume') and RunSummary.exists(path):  # keep what tools/eval_gen.py merged meanwhile
            before = RunSummary.read(path)
            summary.generative, summary.extra = before.generative, before.extra
        if self.plot and rows:
            summary.curves = plot_loss_and_mask_ratio(
                [(runner.experiment_name, rows)], osp.join(runner.work_dir, 'curves.png'), span=self.span
            )
        atomic_write(path, lambda f: f.write(summary.to_json()), mode='w')
        runner.logger.info(
            f'summary: {summary.iters} iters, {summary.train_seconds:.1f} s training, final loss '
            f'{summary.final_loss:.4f}, MIT {summary.efficiency["MIT"]} s/iter -> {path}'
        )
