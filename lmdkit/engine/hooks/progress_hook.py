"""Tells a ``ProgressScheduled`` model the training progress before every iteration: LMD's and MDT's mask ratio
schedule (the model logs the ratio in force with its step's outputs), the autoencoder's adversarial start."""

import math
from typing import Optional

from mmengine.hooks import Hook

from lmdkit.models.contracts import ProgressScheduled
from lmdkit.registry import HOOKS

from ..loops import micro_batches_per_iteration
from ..model_wrappers import unwrap


def optimizer_progress(iteration: int, max_iters: int, accumulative_counts: int = 1) -> tuple:
    """(progress, step): step = optimizer updates completed, progress = step / total updates
    (docs/components.md, "Mask schedulers"): with gradient accumulation the ratio changes once per update."""
    step = iteration // accumulative_counts
    total = max(1, math.ceil(max_iters / accumulative_counts))
    return step / total, step


@HOOKS.register_module()
class ProgressHook(Hook):
    """Before each training iteration: ``model.set_progress(p, step)`` with step = optimiser steps completed and
    p = step / total optimiser steps (so a mask ratio = scheduler(p, step)).

    With gradient accumulation the progress is constant within one optimiser update. It depends only on the
    iteration, so resumed runs continue the schedule exactly and all ranks agree. The training program adds this
    hook to models that need it (``BaseAlgorithm.training_hooks``)."""

    priority = 'ABOVE_NORMAL'

    def before_train_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None) -> None:
        model = unwrap(runner.model)
        if not isinstance(model, ProgressScheduled):
            raise TypeError(f'{type(self).__name__} needs a ProgressScheduled model (lmdkit.models.contracts: '
                            f'set_progress()); {type(model).__name__} is not one')  # fmt: skip
        progress, step = optimizer_progress(runner.iter, runner.max_iters, micro_batches_per_iteration(runner))
        model.set_progress(progress, step)


@HOOKS.register_module()
class MaskScheduleHook(ProgressHook):
    """``ProgressHook`` under the name configs written before it use (``dict(type='MaskScheduleHook')``)."""
