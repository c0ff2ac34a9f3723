"""Base of the picture hooks: a grid every ``interval`` iterations and a final one copied into the work dir."""

import os.path as osp
import shutil
from abc import ABCMeta, abstractmethod
from typing import Optional

from mmengine.hooks import Hook


class PeriodicGridHook(Hook, metaclass=ABCMeta):
    """Calls ``save_grid(runner, tag)`` every ``interval`` training iterations (0: only after training) and copies
    the last grid to ``WORK_DIR/<final_name>``. Subclasses implement ``save_grid`` and return the file written."""

    priority = 'LOW'
    final_name = 'grid.png'

    def __init__(self, interval: int = 0) -> None:
        self.interval = interval

    @abstractmethod
    def save_grid(self, runner, tag: str) -> Optional[str]:
        """Draw and save one grid tagged ``tag``; return its path (None on ranks that draw nothing)."""

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self.interval > 0 and self.every_n_train_iters(runner, self.interval):
            self.save_grid(runner, f'iter_{runner.iter + 1}')

    def after_train(self, runner) -> None:
        path = self.save_grid(runner, f'iter_{runner.iter}')
        if path:
            shutil.copyfile(path, osp.join(runner.work_dir, self.final_name))
