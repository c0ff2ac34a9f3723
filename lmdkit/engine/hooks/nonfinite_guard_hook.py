"""Skips optimiser steps whose gradients are not finite, agreed across ranks, and stops a run that keeps failing."""

import torch
import torch.distributed as dist
from mmengine.hooks import Hook
from mmengine.optim import AmpOptimWrapper, OptimWrapperDict

from lmdkit.fileio import pointed_checkpoint
from lmdkit.models.algorithms.base import step_readout_of
from lmdkit.registry import HOOKS
from lmdkit.utils.step_readout import StepReadout

from ..optimizers import GuardedOptimWrapper
from .checkpoint_hook import HOLD_CHECKPOINTS


@HOOKS.register_module()
class NonFiniteGuardHook(Hook):
    """Before each optimiser step, check that the gradients are finite; if any rank sees NaN/Inf, every rank skips
    the step (an all-reduce of the verdict keeps the replicas identical), the skip is counted
    (``train/skipped_steps`` in the logs and ``summary.json``) and logged. After ``max_consecutive`` skipped steps
    in a row, training stops with an error naming the iteration and the last good checkpoint: the last one saved
    before the first step of the current run of skips (the weights a broken step left behind are saved with finite
    gradients; the skips come after). While steps are skipped, the CheckpointHook saves nothing
    (``hold_checkpoints``, default on; ``lmdkit.engine.hooks.checkpoint_hook``).

    The hook is the ``StepGuard`` of the run's ``GuardedOptimWrapper`` (``lmdkit.engine.optimizers``), which asks
    :meth:`allow_step` before each step with the total gradient norm (one fused reduction; non-finite exactly when a
    gradient is), logged as ``train/grad_norm``. Its host read is the step's only one: it also copies the values the
    model logs (the model's ``step_readout``, ``lmdkit.utils.step_readout``), and this hook hands them to the other
    hooks as floats. Norm clipping (``optim_wrapper.clip_grad=dict(max_norm=...)``) reuses this norm; clipping cannot
    make a non-finite gradient finite, so the check comes first.

    The training program (``lmdkit.apis.train``) adds this hook to every run (top-level config key
    ``nonfinite_guard``: its arguments, or None to turn it off) and builds ``OptimWrapper`` configs as
    ``GuardedOptimWrapper``. Wrappers with a dynamic loss scaler (fp16 ``AmpOptimWrapper``) and DeepSpeed's are
    left alone: their engines already skip overflowing steps (and lower the scale), which skipping the whole step
    here would prevent. Any other wrapper is refused.
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
        self.runner = None  # set in before_train: the steps it decides belong to this runner

    def before_train(self, runner) -> None:
        self.runner = runner
        self.readout = step_readout_of(runner.model) or StepReadout()
        wrapper = runner.optim_wrapper
        named = list(wrapper.items()) if isinstance(wrapper, OptimWrapperDict) else [('', wrapper)]  # GANs: a dict
        hub = runner.message_hub
        self.skipped_total = int(hub.get_info('skipped_steps', 0) or 0)  # restored on resume
        hub.update_info(HOLD_CHECKPOINTS, False)  # a resumed run starts from a saved, good state
        for name, w in named:
            if isinstance(w, GuardedOptimWrapper):
                w.attach_guard(self, f'{name}_grad_norm' if name else 'grad_norm')
            elif isinstance(w, AmpOptimWrapper):
                runner.logger.info('NonFiniteGuardHook: the fp16 loss scaler handles overflowing steps itself')
            # by name: MMEngine's DeepSpeedOptimWrapper module imports deepspeed, an optional package
            elif type(w).__name__ == 'DeepSpeedOptimWrapper':
                runner.logger.info('NonFiniteGuardHook: DeepSpeed handles overflowing steps itself')
            else:
                raise TypeError(
                    f'NonFiniteGuardHook guards a GuardedOptimWrapper; optim_wrapper{"." + name if name else ""} is '
                    f'a {type(w).__name__}. Set its type to GuardedOptimWrapper (lmdkit.apis.train does this for '
                    'OptimWrapper), or turn the guard off with nonfinite_guard=None.'
                )

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
    def agreed_verdict(norm: torch.Tensor) -> torch.Tensor:
        """1 if ``norm`` is finite on every rank, else 0 (a MIN all-reduce; no host read)."""
        flag = torch.isfinite(norm).to(torch.float32).reshape(1)
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            dist.all_reduce(flag, op=dist.ReduceOp.MIN)
        return flag

    def allow_step(self, grad_norm: torch.Tensor, log_name: str) -> bool:
        """The ``StepGuard`` decision a ``GuardedOptimWrapper`` asks for before each step: True when the gradients
        are finite on every rank; otherwise the skip is counted, logged and, after ``max_consecutive`` in a row,
        training stops with the last good checkpoint named."""
        runner = self.runner
        finite, norm_value = self.readout.read(self.agreed_verdict(grad_norm), grad_norm)  # the step's one host read
        runner.message_hub.update_scalar(f'train/{log_name}', norm_value)
        if finite:
            if self.in_a_row:
                runner.message_hub.update_info(HOLD_CHECKPOINTS, False)
            self.in_a_row = 0
            return True
        it = runner.iter + 1
        if self.in_a_row == 0:  # the pointer still names what was saved before this step
            self.first_skipped, self.good_checkpoint = it, pointed_checkpoint(runner.work_dir)
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
        return False
