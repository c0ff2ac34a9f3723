"""Ctrl-C (SIGINT) or SIGTERM during training: every rank stops at the same iteration and a checkpoint is saved."""

import os.path as osp
import signal

import torch
import torch.distributed as dist
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from lmdkit.fileio import atomic_write
from lmdkit.registry import HOOKS

from .checkpoint_hook import HOLD_CHECKPOINTS
from .exact_resume_hook import ExactResumeHook


@HOOKS.register_module()
class InterruptCheckpointHook(Hook):
    """The first SIGINT/SIGTERM only sets a flag; after the current iteration the ranks agree on it (a MAX
    all-reduce every ``sync_interval`` iterations when distributed, so they stop at the same iteration), save
    ``iter_<N>.pth`` with optimiser and scheduler state, point ``last_checkpoint`` at it, and end training
    normally (records and ``summary.json`` are written). ``--resume`` continues from there. A second signal
    interrupts at once (the default behaviour).

    The training program (``lmdkit.apis.train``) adds this hook to every run (top-level config key
    ``interrupt_checkpoint``: its arguments, or None to turn it off); ``tools/train.py`` exits with status 130
    after an interrupted run.
    """

    priority = 'LOW'

    def __init__(self, sync_interval: int = 10) -> None:
        self.sync_interval = max(1, sync_interval)
        self.requested = False
        self.interrupted_at = None
        self._previous = {}

    def _handler(self, signum, frame) -> None:
        if self.requested:  # second signal: give up waiting for the iteration to end
            self._restore()
            raise KeyboardInterrupt
        self.requested = True

    def _restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}

    def before_train(self, runner) -> None:
        try:
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handler)
        except ValueError:  # not the main thread (e.g. a notebook worker): leave the defaults
            self._previous = {}

    def _agreed(self, runner) -> bool:
        if not (dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
            return self.requested
        if (runner.iter + 1) % self.sync_interval:
            return False
        device = torch.device('cuda', torch.cuda.current_device()) if dist.get_backend() == 'nccl' else 'cpu'
        flag = torch.tensor([float(self.requested)], device=device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return bool(flag.item())

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not self._agreed(runner):
            return
        it = runner.iter + 1  # runner.iter counts completed iterations only after this hook
        self.interrupted_at = it
        runner.train_loop.stop_training = True
        if runner.message_hub.get_info(HOLD_CHECKPOINTS, False):  # the same flag on every rank
            runner.logger.warning(f'interrupted at iteration {it} while steps were being skipped for non-finite '
                                  'gradients: no checkpoint saved (the weights may be broken)')  # fmt: skip
            return
        filename = f'iter_{it}.pth'
        backend_args = runner.cfg.get('default_hooks', {}).get('checkpoint', {}).get('backend_args')
        for hook in runner.hooks:  # every rank is here: ExactResumeHook can collect each rank's RNG state
            if isinstance(hook, ExactResumeHook):
                hook.gather_rng(runner)
        runner.save_checkpoint(runner.work_dir, filename, save_optimizer=True, save_param_scheduler=True,
                               by_epoch=False, backend_args=backend_args)  # fmt: skip
        if is_main_process():
            target = osp.join(runner.work_dir, filename)
            atomic_write(osp.join(runner.work_dir, 'last_checkpoint'), lambda f: f.write(target), mode='w')
        runner.logger.warning(f'interrupted: saved {filename} at iteration {it}; continue with --resume')

    def after_train(self, runner) -> None:
        self._restore()
