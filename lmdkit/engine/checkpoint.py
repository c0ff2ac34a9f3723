"""MMEngine's checkpoint I/O made safe and atomic, switched on by ``register_checkpoint_io`` (runner set-up).

* Loading: MMEngine's local-path loader (``load_from``, ``--resume``) becomes ``lmdkit.fileio.load_from_local_safe``
  (``weights_only=True``, model folders, ``lmdkit://`` paths).
* Saving: the ``atomic_local`` file backend writes through ``lmdkit.fileio.atomic_write``, so an interrupted save
  leaves the previous checkpoint intact.
* The message hub's ``HistoryBuffer`` objects travel as plain dicts (``to_plain``/``from_plain``), so a resume
  checkpoint needs no allowed globals.

Nothing here runs at import: swapping MMEngine's loader is global state, done once by
``lmdkit.apis.register_all_modules``.
"""

from collections import OrderedDict
from typing import Any

import numpy as np
import torch
from mmengine.fileio import register_backend
from mmengine.fileio.backends import LocalBackend
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from lmdkit.fileio import atomic_write, load_from_local_safe


def register_safe_loader() -> None:
    """Route MMEngine's local checkpoint loading (``''`` prefix) through ``load_from_local_safe``."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local_safe, force=True)


class AtomicLocalBackend(LocalBackend):
    """Local file backend whose writes are atomic: temp file in the same folder, fsync, ``os.replace``."""

    def put(self, obj: bytes, filepath: str) -> None:
        atomic_write(str(filepath), lambda f: f.write(obj))

    def put_text(self, obj: str, filepath: str, encoding: str = 'utf-8') -> None:
        self.put(obj.encode(encoding), filepath)


def register_atomic_backend() -> None:
    register_backend('atomic_local', AtomicLocalBackend, force=True)


def register_checkpoint_io() -> None:
    """Both of the above: safe loading and atomic saving for every MMEngine runner of this process."""
    register_safe_loader()
    register_atomic_backend()


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
