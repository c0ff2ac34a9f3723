"""Skips optimiser steps whose gradients are not finite, agreed across ranks, and stops a run that keeps failing."""

import functools
import os.path as osp
from typing import Callable

import torch
import torch.distributed as dist
from mmengine.hooks import Hook

from lmdkit.registry import HOOKS


def _last_checkpoint(work_dir: str) -> str:
    path = osp.join(work_dir, 'last_checkpoint')  # written by MMEngine's CheckpointHook
    if osp.isfile(path):
        with open(path) as f:
            return f.read().strip()
    return 'none saved yet'


@HOOKS.register_module()
class NonFiniteGuardHook(Hook):
    """Before each optimiser step, check that every gradient is finite (one host sync per step); if any rank sees
    NaN/Inf, every rank skips the step (an all-reduce of the verdict keeps the replicas identical), the skip is
    counted (``train/skipped_steps`` in the logs and ``summary.json``) and logged. After ``max_consecutive``
    skipped steps in a row, training stops with an error naming the iteration and the last good checkpoint.

    ``tools/train.py`` adds this hook to every run (top-level config key ``nonfinite_guard``: its arguments, or None
    to turn it off). Gradient clipping is MMEngine's ``optim_wrapper.clip_grad`` (applied inside the step; clipping
    cannot make a non-finite gradient finite, so the check comes first). Wrappers with a dynamic loss scaler (fp16
    ``AmpOptimWrapper``) are left alone: their ``GradScaler`` already skips overflowing steps and lowers the scale,
    which skipping the whole step here would prevent.
    """

    priority = 'VERY_HIGH'

    def __init__(self, max_consecutive: int = 5) -> None:
        if max_consecutive < 1:
            raise ValueError(f'max_consecutive must be >= 1, got {max_consecutive}')
        self.max_consecutive = max_consecutive
        self.skipped_total = 0
        self.in_a_row = 0

    def before_train(self, runner) -> None:
        wrapper = runner.optim_wrapper
        wrappers = list(wrapper.values()) if hasattr(wrapper, 'values') else [wrapper]  # OptimWrapperDict (GANs)
        hub = runner.message_hub
        self.skipped_total = int(hub.get_info('skipped_steps', 0) or 0)  # restored on resume
        for w in wrappers:
            if getattr(w, 'loss_scaler', None) is not None:
                runner.logger.info('NonFiniteGuardHook: the fp16 loss scaler handles overflowing steps itself')
                continue
            if not getattr(w, '_lmdkit_guarded', False):
                w.step = self._guard(runner, w, w.step)
                w._lmdkit_guarded = True

    @staticmethod
    @torch.no_grad()
    def grads_finite(optimizer: torch.optim.Optimizer) -> bool:
        """Whether every gradient of ``optimizer`` is finite on every rank (MIN all-reduce of the local verdict)."""
        grads = [p.grad for g in optimizer.param_groups for p in g['params'] if p.grad is not None]
        device = grads[0].device if grads else torch.device('cpu')
        ok = torch.stack([torch.isfinite(g).all() for g in grads]).all() if grads else torch.tensor(True)
        flag = ok.to(device=device, dtype=torch.float32).reshape(1)
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            dist.all_reduce(flag, op=dist.ReduceOp.MIN)
        return bool(flag.item())

    def _guard(self, runner, wrapper, step: Callable) -> Callable:
        @functools.wraps(step)  # keeps the attributes MMEngine's parameter schedulers put on the step (_with_counter)
        def guarded_step(**kwargs):
            if self.grads_finite(wrapper.optimizer):
                self.in_a_row = 0
                return step(**kwargs)
            self.skipped_total += 1
            self.in_a_row += 1
            runner.message_hub.update_info('skipped_steps', self.skipped_total)
            runner.message_hub.update_scalar('train/skipped_steps', self.skipped_total)
            it = runner.iter + 1
            runner.logger.warning(f'non-finite gradients at iteration {it}: step skipped ({self.in_a_row} in a row, '
                                  f'{self.skipped_total} in total)')  # fmt: skip
            if self.in_a_row >= self.max_consecutive:
                raise FloatingPointError(
                    f'{self.in_a_row} optimiser steps in a row had non-finite gradients (last at iteration {it}); '
                    f'training stopped. Last good checkpoint: {_last_checkpoint(runner.work_dir)}. Lower the '
                    'learning rate, enable gradient clipping (optim_wrapper.clip_grad=dict(max_norm=...)) or check '
                    'the data, then resume with --resume.'
                )
            return None

        return guarded_step
