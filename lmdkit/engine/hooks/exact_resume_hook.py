"""Makes checkpoints plain data and resume bit-exact: N iterations + resume + N == 2N straight."""

import random
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log

from lmdkit.registry import HOOKS

from ..checkpoint import from_plain, to_plain


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

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['rng_state'] = get_rng_state()
        for key in list(checkpoint):
            checkpoint[key] = to_plain(checkpoint[key])

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if 'message_hub' in checkpoint:
            checkpoint['message_hub'] = from_plain(checkpoint['message_hub'])
        self._resume_rng = checkpoint.get('rng_state')

    def before_train_epoch(self, runner) -> None:
        loop = runner.train_loop
        if self._resume_rng is not None and loop.iter > 0 and hasattr(loop, 'dataloader_iterator'):
            loop.dataloader_iterator = _RestoreAfterSkip(loop.dataloader_iterator, loop.iter, self._resume_rng)
            print_log(f'ExactResumeHook: RNG state restored after skipping {loop.iter} batches', logger='current')
        self._resume_rng = None

    def before_val(self, runner) -> None:
        self._val_rng = get_rng_state()

    def after_val(self, runner) -> None:
        if self._val_rng is not None:
            set_rng_state(self._val_rng)
            self._val_rng = None
