"""Skips optimiser steps whose gradients are not finite, agreed across ranks, and stops a run that keeps failing."""

import functools
import os.path as osp
from typing import Callable, Optional

import torch
import torch.distributed as dist
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapperDict

from lmdkit.models.algorithms.base import step_readout_of
from lmdkit.registry import HOOKS
from lmdkit.utils.step_readout import StepReadout

from .checkpoint_hook import HOLD_CHECKPOINTS


def _last_checkpoint(work_dir: str) -> Optional[str]:
    """The file MMEngine's ``last_checkpoint`` pointer names, if any."""
    path = osp.join(work_dir, 'last_checkpoint')  # written by the CheckpointHook
    if osp.isfile(path):
        with open(path) as f:
            return f.read().strip() or None
    return None


@HOOKS.register_module()
class NonFiniteGuardHook(Hook):
    """Before each optimiser step, check that the gradients are finite; if any rank sees NaN/Inf, every rank skips
    the step (an all-reduce of the verdict keeps the replicas identical), the skip is counted
    (``train/skipped_steps`` in the logs and ``summary.json``) and logged. After ``max_consecutive`` skipped steps
    in a row, training stops with an error naming the iteration and the last good checkpoint: the last one saved
    before the first step of the current run of skips (the weights a broken step left behind are saved with finite
    gradients; the skips come after). While steps are skipped, the CheckpointHook saves nothing
    (``hold_checkpoints``, default on; ``lmdkit.engine.hooks.checkpoint_hook``).

    The check is the total gradient norm (one fused reduction; non-finite exactly when a gradient is), logged as
    ``train/grad_norm``. Its host read is the step's only one: it also copies the values the model logs (the
    model's ``step_readout``, ``lmdkit.utils.step_readout``), and this hook hands them to the other hooks as floats.
    Norm clipping (MMEngine's ``optim_wrapper.clip_grad=dict(max_norm=...)``) reuses this norm instead of computing
    and reading its own; clipping cannot make a non-finite gradient finite, so the check comes first.

    The training program (``lmdkit.apis.train``) adds this hook to every run (top-level config key
    ``nonfinite_guard``: its arguments, or None to turn it off). Wrappers with a dynamic loss scaler (fp16
    ``AmpOptimWrapper``) and DeepSpeed's are left alone: their engines already skip overflowing steps (and lower the
    scale), which skipping the whole step here would prevent.
    """

    priority = 'HIGHEST'  # turn the step's logged tensors into floats before RuntimeInfoHook reads them one by one

    def __init__(self, max_consecutive: int = 5, hold_checkpoints: bool = True) -> None:
        if max_consecutive < 1:
            raise ValueError(f'max_consecutive must be >= 1, got {max_consecutive}')
        self.max_consecutive = max_consecutive
        self.hold_checkpoints = hold_checkpoints
        self.skipped_total = 0
        self.in_a_row = 0
        self.first_skipped = None  # iteration of the first skip of the current run of skips
        self.good_checkpoint = None  # the last checkpoint saved before it
        self.readout = StepReadout()  # replaced by the model's own in before_train

    def before_train(self, runner) -> None:
        self.readout = step_readout_of(runner.model) or StepReadout()
        wrapper = runner.optim_wrapper
        named = list(wrapper.items()) if isinstance(wrapper, OptimWrapperDict) else [('', wrapper)]  # GANs: a dict
        hub = runner.message_hub
        self.skipped_total = int(hub.get_info('skipped_steps', 0) or 0)  # restored on resume
        hub.update_info(HOLD_CHECKPOINTS, False)  # a resumed run starts from a saved, good state
        for name, w in named:
            if getattr(w, 'loss_scaler', None) is not None:
                runner.logger.info('NonFiniteGuardHook: the fp16 loss scaler handles overflowing steps itself')
                continue
            # by name: MMEngine's DeepSpeedOptimWrapper module imports deepspeed, an optional package
            if type(w).__name__ == 'DeepSpeedOptimWrapper':
                runner.logger.info('NonFiniteGuardHook: DeepSpeed handles overflowing steps itself')
                continue
            if not getattr(w, '_lmdkit_guarded', False):
                w.step = self._guard(runner, w, w.step, f'{name}_grad_norm' if name else 'grad_norm')
                w._lmdkit_guarded = True

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if isinstance(outputs, dict):
            self.readout.resolve(outputs)

    def good_checkpoint_message(self) -> str:
        """Which checkpoint to resume from, in words (only one saved before the first skipped step counts)."""
        if self.good_checkpoint is None:
            return (f'No checkpoint was saved before the first skipped step (iteration {self.first_skipped}): '
                    'start again from the beginning or from a checkpoint you trust.')  # fmt: skip
        return (f'Last good checkpoint (saved before the first skipped step, iteration {self.first_skipped}): '
                f'{self.good_checkpoint}; resume with --resume {self.good_checkpoint}.')  # fmt: skip

    @staticmethod
    @torch.no_grad()
    def grad_norm(params: list, norm_type: float = 2.0) -> torch.Tensor:
        """Total ``norm_type`` norm of the gradients of ``params`` on this rank (0 without any)."""
        grads = [p.grad for p in params]
        return torch.nn.utils.get_total_norm(grads, norm_type) if grads else torch.zeros(())

    @staticmethod
    def agreed_verdict(norm: torch.Tensor) -> torch.Tensor:
        """1 if ``norm`` is finite on every rank, else 0 (a MIN all-reduce; no host read)."""
        flag = torch.isfinite(norm).to(torch.float32).reshape(1)
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            dist.all_reduce(flag, op=dist.ReduceOp.MIN)
        return flag

    def _guard(self, runner, wrapper, step: Callable, log_name: str) -> Callable:
        @functools.wraps(step)  # keeps the attributes MMEngine's parameter schedulers put on the step (_with_counter)
        def guarded_step(**kwargs):
            clip = dict(getattr(wrapper, 'clip_grad_kwargs', None) or {})
            by_norm = 'max_norm' in clip and wrapper.clip_func is torch.nn.utils.clip_grad_norm_
            params = [p for g in wrapper.optimizer.param_groups for p in g['params'] if p.grad is not None]
            norm = self.grad_norm(params, clip.get('norm_type', 2.0) if by_norm else 2.0)
            whole = norm.full_tensor() if hasattr(norm, 'full_tensor') else norm  # FSDP2: a DTensor of shard norms
            finite, norm_value = self.readout.read(self.agreed_verdict(whole), whole)  # the step's one host read
            runner.message_hub.update_scalar(f'train/{log_name}', norm_value)
            if finite:
                if self.in_a_row:
                    runner.message_hub.update_info(HOLD_CHECKPOINTS, False)
                self.in_a_row = 0
                if not by_norm:
                    return step(**kwargs)
                torch.nn.utils.clip_grads_with_norm_(params, clip['max_norm'], norm, clip.get('foreach'))
                wrapper.clip_grad_kwargs = {}  # already clipped: MMEngine's own clipping would read the norm again
                try:
                    return step(**kwargs)
                finally:
                    wrapper.clip_grad_kwargs = clip
            it = runner.iter + 1
            if self.in_a_row == 0:  # the pointer still names what was saved before this step
                self.first_skipped, self.good_checkpoint = it, _last_checkpoint(runner.work_dir)
                runner.message_hub.update_info(HOLD_CHECKPOINTS, self.hold_checkpoints)
            self.skipped_total += 1
            self.in_a_row += 1
            runner.message_hub.update_info('skipped_steps', self.skipped_total)
            runner.message_hub.update_scalar('train/skipped_steps', self.skipped_total)
            runner.logger.warning(f'non-finite gradients at iteration {it}: step skipped ({self.in_a_row} in a row, '
                                  f'{self.skipped_total} in total)')  # fmt: skip
            if self.in_a_row >= self.max_consecutive:
                span = f'iteration {it}' if it == self.first_skipped else f'iterations {self.first_skipped}-{it}'
                raise FloatingPointError(
                    f'{self.in_a_row} optimiser steps in a row had non-finite gradients ({span}); training stopped. '
                    f'{self.good_checkpoint_message()} Lower the learning rate, enable gradient clipping '
                    '(optim_wrapper.clip_grad=dict(max_norm=...)) or check the data before resuming.'
                )
            return None

        return guarded_step
