"""Iteration-based training whose iterations are optimiser steps, each over several micro-batches."""

import logging
from typing import Any, Dict, List, Mapping, Sequence

from mmengine.logging import print_log
from mmengine.runner import IterBasedTrainLoop
from mmengine.runner.loops import _InfiniteDataloaderIterator

from lmdkit.datasets.samplers import EpochInfiniteSampler
from lmdkit.models.algorithms.base import step_readout_of
from lmdkit.registry import LOOPS
from lmdkit.utils.step_readout import StepReadout

from .optimizers import GuardedOptimWrapper


def configured_accumulation(cfg: Mapping) -> int:
    """Micro-batches per optimiser step that a config's ``optim_wrapper.accumulative_counts`` asks for (1 without
    it, and for wrapper dicts: GANs step every batch)."""
    optim = cfg.get('optim_wrapper') or {}
    return int(optim.get('accumulative_counts', 1) or 1) if isinstance(optim, Mapping) else 1


def wrapper_accumulation(runner) -> int:
    """Micro-batches per optimiser step of the runner's optimiser wrapper: a ``GuardedOptimWrapper`` says so itself
    (what the training program builds); for other wrappers, the config it was built from says."""
    wrapper = runner.optim_wrapper
    return (
        wrapper.accumulative_counts if isinstance(wrapper, GuardedOptimWrapper) else configured_accumulation(runner.cfg)
    )


def micro_batches_per_iteration(runner) -> int:
    """How many of the runner's iterations make one optimiser step: 1 under ``AccumulatingTrainLoop`` (its
    iterations are optimiser steps), else the wrapper's accumulation (MMEngine's own counts micro-batches)."""
    return 1 if isinstance(runner.train_loop, AccumulatingTrainLoop) else wrapper_accumulation(runner)


def mean_outputs(outputs: List[Dict[str, Any]], readout: StepReadout) -> Dict[str, float]:
    """Average the logged values of a step's micro-batches (floats; a key missing from some is averaged over the
    others). The values are read to the host together by ``readout``, in the step's one transfer."""
    readout.resolve(*outputs)
    keys = dict.fromkeys(k for out in outputs for k in out)  # first-seen order
    return {k: sum(float(o[k]) for o in outputs if k in o) / sum(k in o for o in outputs) for k in keys}


@LOOPS.register_module()
class AccumulatingTrainLoop(IterBasedTrainLoop):
    """MMEngine's ``IterBasedTrainLoop`` with gradient accumulation: one iteration = one optimiser step over
    ``accumulate`` micro-batches.

    Iterations, ``max_iters``, parameter and mask schedules, checkpoint and validation intervals therefore all
    count optimiser steps, whatever the accumulation (with MMEngine's own ``accumulative_counts`` they count
    micro-batches). Hooks see each iteration once: ``before_train_iter`` with its first micro-batch,
    ``after_train_iter`` with its last one and the logged values averaged over all of them. The optimiser
    wrapper's ``accumulative_counts`` must equal ``accumulate`` (``lmdkit.engine.recipe.apply_recipe`` sets both):
    it scales each micro-batch's loss by 1/accumulate and skips DDP's gradient all-reduce until the last one
    (``no_sync``; FSDP2 has none and reduces every micro-batch; DeepSpeed accumulates by its own settings).

    On resume, an ``EpochInfiniteSampler`` jumps to where the run stopped instead of MMEngine re-reading every
    trained batch (which at ImageNet scale would take as long as the training did).
    """

    def __init__(self, runner, dataloader, max_iters: int, accumulate: int = 1, **kwargs) -> None:
        super().__init__(runner, dataloader, max_iters, **kwargs)
        if accumulate < 1:
            raise ValueError(f'train_cfg.accumulate must be >= 1, got {accumulate}')
        self.accumulate = int(accumulate)
        self.batches_to_skip = 0  # set when a resumed run starts

    @property
    def consumed_batches(self) -> int:
        """Micro-batches drawn from the dataloader by the completed iterations."""
        return self._iter * self.accumulate

    def _check_wrapper(self) -> None:
        if self.accumulate == 1:  # nothing to count: the runner's initialisation holds (GANs' wrapper dicts too)
            return
        wrapper = self.runner.optim_wrapper
        counts = wrapper_accumulation(self.runner)
        if counts != self.accumulate:
            raise ValueError(f'train_cfg.accumulate={self.accumulate} but optim_wrapper.accumulative_counts='
                             f'{counts}; set both to the same number (tools/train.py --accumulate does)')  # fmt: skip
        # the runner initialised the wrapper's counters in iterations; they count micro-batches
        wrapper.initialize_count_status(self.runner.model, self.consumed_batches, self._max_iters * self.accumulate)

    def _fast_forward(self) -> int:
        """Put a resumed run's data stream where it stopped; returns the batches still to read to get there (0
        when the sampler can jump: ``EpochInfiniteSampler``; MMEngine's samplers need every batch re-read)."""
        sampler = self.dataloader.sampler
        if self._iter == 0 or not isinstance(sampler, EpochInfiniteSampler):
            return self.consumed_batches
        sampler.set_start(self.consumed_batches * self.dataloader.batch_size)
        self.dataloader_iterator = _InfiniteDataloaderIterator(self.dataloader)  # restarts at the new position
        print_log(f'resumed the data stream at micro-batch {self.consumed_batches} without reading the batches '
                  'before it', logger='current')  # fmt: skip
        return 0

    def run(self):
        self._check_wrapper()
        self.batches_to_skip = self._fast_forward()
        self.runner.call_hook('before_train')
        self.runner.call_hook('before_train_epoch')  # the whole run is one "epoch", as in MMEngine's loop
        if self.batches_to_skip:
            print_log(f'reading the {self.batches_to_skip} micro-batches of {self._iter} trained iterations again to '
                      'reach the sampler position', logger='current', level=logging.WARNING)  # fmt: skip
            for _ in range(self.batches_to_skip):
                next(self.dataloader_iterator)
        while self._iter < self._max_iters and not self.stop_training:
            self.runner.model.train()
            self.run_iter(next(self.dataloader_iterator))
            self._decide_current_val_interval()
            if (self.runner.val_loop is not None and self._iter >= self.val_begin
                    and (self._iter % self.val_interval == 0 or self._iter == self._max_iters)):  # fmt: skip
                self.runner.val_loop.run()
        self.runner.call_hook('after_train_epoch')
        self.runner.call_hook('after_train')
        self._release_workers()
        return self.runner.model

    def _release_workers(self) -> None:
        """Drop the data iterators now, so reference counting frees them and they stop their worker processes in
        order. Left to the garbage collector (a distributed runner is full of reference cycles), their queues can be
        closed first; each worker then waits out PyTorch's 5-s join timeout (measured: 20 s at exit with 4 workers
        per rank)."""
        self.dataloader_iterator = None
        if getattr(self.dataloader, 'persistent_workers', False):
            self.dataloader._iterator = None  # a DataLoader keeps its persistent workers' iterator itself

    def run_iter(self, data_batch: Sequence[dict]) -> None:
        self.runner.call_hook('before_train_iter', batch_idx=self._iter, data_batch=data_batch)
        outputs = []
        for k in range(self.accumulate):
            if k:
                data_batch = next(self.dataloader_iterator)
            outputs.append(self.runner.model.train_step(data_batch, optim_wrapper=self.runner.optim_wrapper))
        if self.accumulate > 1:
            merged = mean_outputs(outputs, step_readout_of(self.runner.model) or StepReadout())
        else:
            merged = outputs[0]
        self.runner.call_hook('after_train_iter', batch_idx=self._iter, data_batch=data_batch, outputs=merged)
        self._iter += 1
