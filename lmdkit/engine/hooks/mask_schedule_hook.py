"""Feeds training progress to the model's mask scheduler every iteration and logs the ratio."""

import math
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from lmdkit.models.contracts import ProgressScheduled
from lmdkit.registry import HOOKS

from ..loops import AccumulatingTrainLoop


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
        # AccumulatingTrainLoop's iterations are optimiser steps already; MMEngine's own accumulation counts
        # micro-batches
        loop = runner.train_loop
        native = getattr(runner.optim_wrapper, '_accumulative_counts', 1)  # OptimWrapperDict (GANs) has none
        accum = 1 if isinstance(loop, AccumulatingTrainLoop) else native
        progress, step = optimizer_progress(runner.iter, runner.max_iters, accum)
        ratio = model.set_progress(progress, step)
        runner.message_hub.update_scalar('train/mask_ratio', ratio)
