"""Makes checkpoints plain data and resume bit-exact: N iterations + resume + N == 2N straight."""

import random
from typing import Optional

import numpy as np
import torch
import torch.distributed as dist
from mmengine.hooks import CheckpointHook, Hook
from mmengine.logging import print_log

from lmdkit.registry import HOOKS

from ..checkpoint import from_plain, to_plain
from ..loops import AccumulatingTrainLoop


def get_rng_state() -> dict:
    """Python, numpy and torch (CPU and every CUDA device) generator states."""
    state = dict(python=random.getstate(), numpy=np.random.get_state(), torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    py = state['python']
    random.setstate((py[0], tuple(py[1]), py[2]))
    kind, keys, pos, has_gauss, cached = state['numpy']
    keys = keys.numpy() if isinstance(keys, torch.Tensor) else np.asarray(keys)
    np.random.set_state((kind, keys.astype(np.uint32), int(pos), int(has_gauss), float(cached)))
    torch.set_rng_state(state['torch'].cpu())
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state['cuda']])


class _RestoreAfterSkip:
    """Iterator proxy: restores the RNG right after MMEngine's loop has skipped the already-trained batches."""

    def __init__(self, iterator, skip: int, rng_state: dict) -> None:
        self.iterator, self.remaining, self.rng_state = iterator, skip, rng_state

    def __iter__(self):
        return self

    def __next__(self):
        if self.remaining == 0 and self.rng_state is not None:
            set_rng_state(self.rng_state)
            self.rng_state = None
        self.remaining -= 1
        return next(self.iterator)

    def __getattr__(self, name):
        return getattr(self.iterator, name)


@HOOKS.register_module()
class ExactResumeHook(Hook):
    """Stores the RNG states with every checkpoint and restores them where the resumed run continues.

    * ``before_save_checkpoint``: adds ``rng_state``; converts numpy values and MMEngine's ``HistoryBuffer`` into
      tensors and dicts so the file loads with ``torch.load(weights_only=True)`` and no extra allowed globals.
    * ``after_load_checkpoint``: converts those dicts back for MMEngine.
    * Resume: MMEngine re-reads the first N batches to reach the sampler position (consuming the random stream
      when transforms run in the main process); the saved state is restored right after that skip.
    * Validation runs between ``before_val`` and ``after_val`` with the RNG put back afterwards, so evaluating
      never changes what training draws next.
    """

    priority = 'LOWEST'

    def __init__(self) -> None:
        self._resume_rng: Optional[dict] = None
        self._val_rng: Optional[dict] = None

    _gathered: Optional[list] = None  # every rank's RNG state, collected just before a checkpoint is written

    def gather_rng(self, runner) -> None:
        """Collect every rank's RNG state (a collective: all ranks call it, right before the checkpoint is saved;
        MMEngine writes checkpoints from rank 0, which alone would know only its own state)."""
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            states = [None] * dist.get_world_size()
            dist.all_gather_object(states, get_rng_state())
            self._gathered = states

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['rng_state'] = get_rng_state()
        if self._gathered is not None:
            checkpoint['rng_states'] = self._gathered  # by rank
            self._gathered = None
        for key in list(checkpoint):
            checkpoint[key] = to_plain(checkpoint[key])

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if 'message_hub' in checkpoint:
            checkpoint['message_hub'] = from_plain(checkpoint['message_hub'])
        states = checkpoint.get('rng_states')
        rank = dist.get_rank() if dist.is_available() and dist.is_initialized() else 0
        if states is not None and rank < len(states):
            self._resume_rng = states[rank]  # this rank's own stream
        else:  # one process, or a checkpoint without per-rank states: every rank continues rank 0's stream
            self._resume_rng = checkpoint.get('rng_state')

    def before_train_epoch(self, runner) -> None:
        loop = runner.train_loop
        if self._resume_rng is not None and loop.iter > 0 and hasattr(loop, 'dataloader_iterator'):
            skip = loop.batches_to_skip if isinstance(loop, AccumulatingTrainLoop) else loop.iter
            loop.dataloader_iterator = _RestoreAfterSkip(loop.dataloader_iterator, skip, self._resume_rng)
            print_log(f'ExactResumeHook: RNG state restored after skipping {skip} batches', logger='current')
        self._resume_rng = None

    def before_val(self, runner) -> None:
        self._val_rng = get_rng_state()

    def after_val(self, runner) -> None:
        if self._val_rng is not None:
            set_rng_state(self._val_rng)
            self._val_rng = None


@HOOKS.register_module()
class RngGatherHook(Hook):
    """Runs on every rank right before MMEngine's CheckpointHook and, when it is about to save, has ExactResumeHook
    collect every rank's RNG state for the checkpoint, so that a resumed multi-rank run continues each rank's own
    random stream (masks, noise) bit-exactly. The training program (``lmdkit.apis.train``) adds it beside an
    ExactResumeHook."""

    priority = 89  # CheckpointHook is VERY_LOW (90): nothing draws random numbers in between

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        saving = any(
            isinstance(h, CheckpointHook) and not h.by_epoch and (
                h.every_n_train_iters(runner, h.interval, h.save_begin)
                or (h.save_last and h.is_last_train_iter(runner)))
            for h in runner.hooks
        )  # fmt: skip
        if saving:
            for hook in runner.hooks:
                if isinstance(hook, ExactResumeHook):
                    hook.gather_rng(runner)
