"""Safe, atomic checkpoints for MMEngine on torch >= 2.6.

* Loading always uses ``torch.load(weights_only=True)`` with no globals allowed beyond torch's own. Our
  checkpoints are plain data (tensors, numbers, strings, containers): ``ExactResumeHook`` stores MMEngine's
  ``HistoryBuffer`` objects as dicts and numpy values as tensors/scalars before saving. Plain MMEngine would need
  ``HistoryBuffer``, numpy's reconstruct helpers and ``builtins.getattr`` allowed (the last one lets a file call
  any attribute of an allowed class); we allow none of them. Any pickled object is refused with
  ``UnsafeCheckpointError`` before any of its code runs; there is no unsafe fallback.
* Saving goes through the ``atomic_local`` file backend: write a temporary file, fsync, then ``os.replace``, so
  an interrupted save leaves the previous checkpoint intact.
"""

import io
import os
import os.path as osp
import pickle
import tempfile
from collections import OrderedDict
from typing import Any, Callable, Optional, Union

import numpy as np
import torch
from mmengine.fileio import register_backend
from mmengine.fileio.backends import LocalBackend
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds a pickled object outside the allow-list; it was not executed."""


def safe_torch_load(source: Union[str, io.BytesIO], map_location: Any = 'cpu') -> Any:
    """``torch.load(weights_only=True)``; a file that pickles anything else raises ``UnsafeCheckpointError``."""
    name = source if isinstance(source, str) else '<buffer>'
    try:
        return torch.load(source, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        raise UnsafeCheckpointError(
            f'refused to load {name}: it pickles Python objects (not only tensors and plain data), and loading them '
            'could execute code from the file. lmdkit never falls back to unsafe loading. Checkpoints written with '
            'ExactResumeHook (in configs/_base_/default_runtime.py) are plain data; for any other file you trust, '
            f'extract its state dict in a separate, trusted process. Details: {e}'
        ) from None


def load_from_local_safe(filename: str, map_location: Any = None) -> Any:
    """Replacement for MMEngine's local-path checkpoint loader (also used by ``--resume`` and ``load_from``)."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint not found: {filename}')
    return safe_torch_load(filename, map_location=map_location)


def register_safe_loader() -> None:
    """Route MMEngine's local checkpoint loading (``''`` prefix) through ``load_from_local_safe``."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local_safe, force=True)


# ---------------------------------------------------------------------------- plain-data message hub
def history_buffer_to_dict(buffer: HistoryBuffer) -> dict:
    return dict(
        __history_buffer__=True,
        log_history=torch.as_tensor(np.asarray(buffer._log_history, dtype=np.float64)),
        count_history=torch.as_tensor(np.asarray(buffer._count_history, dtype=np.float64)),
        max_length=int(buffer.max_length),
    )


def dict_to_history_buffer(state: dict) -> HistoryBuffer:
    buffer = HistoryBuffer(max_length=state['max_length'])
    buffer._log_history = state['log_history'].numpy()
    buffer._count_history = state['count_history'].numpy()
    return buffer


def to_plain(obj: Any) -> Any:
    """Recursively replace numpy values and HistoryBuffers by tensors, Python scalars and marked dicts."""
    if isinstance(obj, HistoryBuffer):
        return history_buffer_to_dict(obj)
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(obj))
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, OrderedDict):  # allowed by weights_only; other dict subclasses (ConfigDict) are not
        return OrderedDict((k, to_plain(v)) for k, v in obj.items())
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)) and not hasattr(obj, '_fields'):
        return type(obj)(to_plain(v) for v in obj)
    return obj


def from_plain(obj: Any) -> Any:
    """Inverse of ``to_plain`` for HistoryBuffers (the rest stays plain: MMEngine accepts it)."""
    if isinstance(obj, dict):
        if obj.get('__history_buffer__'):
            return dict_to_history_buffer(obj)
        return {k: from_plain(v) for k, v in obj.items()}
    return obj


# ---------------------------------------------------------------------------- atomic writes
class AtomicLocalBackend(LocalBackend):
    """Local file backend whose writes are atomic: temp file in the same folder, fsync, ``os.replace``."""

    def put(self, obj: bytes, filepath: str) -> None:
        atomic_write(str(filepath), lambda f: f.write(obj))

    def put_text(self, obj: str, filepath: str, encoding: str = 'utf-8') -> None:
        self.put(obj.encode(encoding), filepath)


def atomic_write(path: str, write: Callable, mode: str = 'wb') -> None:
    """Call ``write(file)`` on a temporary file next to ``path`` and move it into place only when it succeeded."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f'.{osp.basename(path)}.', suffix='.tmp')
    try:
        with os.fdopen(fd, mode) as f:
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


def register_atomic_backend() -> None:
    register_backend('atomic_local', AtomicLocalBackend, force=True)


def load_state_dict_file(path: str, map_location: Optional[str] = 'cpu') -> dict:
    """A model state dict from one of our checkpoints (``state_dict`` key) or a bare state dict, safely."""
    checkpoint = load_from_local_safe(path, map_location)
    return checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else checkpoint
