"""Writes that never leave a half-written file: a temporary file in the same folder, fsync, then ``os.replace``."""

import os
import os.path as osp
import uuid
from typing import Any, Callable

import torch


def atomic_write(path: str, write: Callable, mode: str = 'wb') -> None:
    """Call ``write(file)`` on a temporary file next to ``path`` and move it into place only when it succeeded."""
    if mode not in ('w', 'wb'):
        raise ValueError(f"atomic_write writes a whole new file: mode 'w' or 'wb', got {mode!r}")
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    # a fresh name opened exclusively ('x'): unlike mkstemp's 0600, the file gets the mode open() gives (umask)
    tmp = osp.join(folder, f'.{osp.basename(path)}.{uuid.uuid4().hex}.tmp')
    try:
        with open(tmp, mode.replace('w', 'x')) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def atomic_torch_save(obj: Any, path: str) -> None:
    """``torch.save`` that never leaves a half-written file at ``path``."""
    atomic_write(path, lambda f: torch.save(obj, f))
