"""Feeds training progress to the model's mask scheduler every iteration (the model logs the ratio in force with
its step's outputs)."""

import math
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from lmdkit.models.contracts import ProgressScheduled
from lmdkit.registry import HOOKS

from ..loops import micro_batches_per_iteration


def unwrap(model):
    return model.module if is_model_wrapper(model) else model


def optimizer_progress(iteration: int, max_iters: int, accumulative_counts: int = 1) -> tuple:
    """(progress, step): step = optimizer updates completed, progress = step / total updates
    (docs/components.md, "Mask schedulers"): with gradient accumulation the ratio changes once per update."""
    step = iteration // accumulative_counts
    total = max(1, math.ceil(max_iters / accumulative_counts))
    return step / total, step


@HOOKS.register_module()
class MaskScheduleHook(Hook):
    """Before each training iteration: ratio = scheduler(p, step) with p = step / total optimizer steps.

    With gradient accumulation the ratio is constant within one optimizer update. The ratio depends only on
    the iteration, so resumed runs continue the schedule exactly and all ranks use the same ratio.
    """

    priority = 'ABOVE_NORMAL'

    def before_train_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None) -> None:
        model = unwrap(runner.model)
        if not isinstance(model, ProgressScheduled):
            raise TypeError(f'MaskScheduleHook needs a ProgressScheduled model (lmdkit.models.contracts: '
                            f'set_progress()); {type(model).__name__} is not one')  # fmt: skip
        progress, step = optimizer_progress(runner.iter, runner.max_iters, micro_batches_per_iteration(runner))
        model.set_progress(progress, step)
