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
import uuid
from collections import OrderedDict
from typing import Any, Callable, Union

import numpy as np
import torch
from mmengine.fileio import register_backend
from mmengine.fileio.backends import LocalBackend
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from ..fileio import MODEL_WEIGHTS, TORCH_LOAD_ERRORS, CorruptFileError, as_corrupt, resolve_path


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds a pickled object outside the allow-list; it was not executed."""


def _refused_object(error: pickle.UnpicklingError) -> bool:
    """Whether torch's weights-only unpickler refused an object the file names (rather than failing to parse it)."""
    return 'GLOBAL' in str(error) or 'allowlisted' in str(error)


def safe_torch_load(source: Union[str, io.BytesIO], map_location: Any = 'cpu') -> Any:
    """``torch.load(weights_only=True)``; a file that pickles anything else raises ``UnsafeCheckpointError``."""
    name = source if isinstance(source, str) else '<buffer>'
    try:
        return torch.load(source, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        if not _refused_object(e):  # a damaged pickle stream, not a refused object
            raise CorruptFileError(name, cause=e) from None
        raise UnsafeCheckpointError(
            f'refused to load {name}: it pickles Python objects (not only tensors and plain data), and loading them '
            'could execute code from the file. lmdkit never falls back to unsafe loading. Checkpoints written with '
            'ExactResumeHook (in configs/_base_/default_runtime.py) are plain data; for any other file you trust, '
            f'extract its state dict in a separate, trusted process. Details: {e}'
        ) from None
    except TORCH_LOAD_ERRORS as e:
        raise as_corrupt(name, e) from None


def is_model_folder(path: str) -> bool:
    """Whether ``path`` (a local or ``lmdkit://`` path) is an exported model folder (it holds ``model.safetensors``)."""
    path = resolve_path(path)
    return osp.isdir(path) and osp.isfile(osp.join(path, MODEL_WEIGHTS))


def load_model_folder(folder: str, map_location: Any = None) -> dict:
    """An exported model folder as a checkpoint: ``state_dict`` from its ``model.safetensors``, ``meta`` from that
    file's header (which weights these are, the iteration)."""
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file

    path = osp.join(resolve_path(folder), MODEL_WEIGHTS)
    try:
        with safe_open(path, framework='pt') as f:
            meta = dict(f.metadata() or {})
        state = load_file(path, device=str(map_location or 'cpu'))
    except SafetensorError as e:
        raise CorruptFileError(path, 'a safetensors file', e) from None
    return dict(state_dict=state, meta=dict(exported=meta))


def load_from_local_safe(filename: str, map_location: Any = None) -> Any:
    """Replacement for MMEngine's local-path checkpoint loader (also used by ``--resume`` and ``load_from``); an
    exported model folder loads as its weights; ``lmdkit://`` names a file or folder shipped in the package."""
    filename = osp.expanduser(resolve_path(filename))
    if is_model_folder(filename):
        return load_model_folder(filename, map_location)
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


def register_atomic_backend() -> None:
    register_backend('atomic_local', AtomicLocalBackend, force=True)


# ---------------------------------------------------------------------------- released files with foreign objects
class InertObject:
    """Stands in for a pickled object whose class we refuse to import: it records its arguments and state
    and does nothing else, so unpickling cannot run code from the file."""

    qualname = '?'

    def __new__(cls, *args, **kwargs):
        obj = object.__new__(cls)
        obj.args, obj.kwargs, obj.state, obj.items = args, kwargs, None, {}
        return obj

    def __init__(self, *args, **kwargs) -> None:
        pass

    def __setstate__(self, state) -> None:
        self.state = state

    def __setitem__(self, key, value) -> None:
        self.items[key] = value

    def append(self, value) -> None:
        self.items[len(self.items)] = value

    def extend(self, values) -> None:
        for v in values:
            self.append(v)

    def __repr__(self) -> str:
        return f'<inert {self.qualname}>'


def _inert_pickle_module(skipped: set):
    """A ``pickle_module`` for ``torch.load`` whose unpickler resolves only the globals ``weights_only=True``
    allows (tensor rebuilding, dtypes, plain containers); every other global becomes an ``InertObject`` subclass
    and its name is added to ``skipped``. One module per load, so concurrent loads keep separate records."""
    from torch._weights_only_unpickler import _get_allowed_globals

    allowed = _get_allowed_globals()

    class InertUnpickler(pickle.Unpickler):
        def find_class(self, module: str, name: str):
            full = f'{module}.{name}'
            if full in allowed:
                return allowed[full]
            skipped.add(full)
            return type(name, (InertObject,), {'qualname': full})

    class InertPickleModule:
        __name__ = 'lmdkit_inert_pickle'
        Unpickler = InertUnpickler

        @staticmethod
        def load(file, **kwargs):
            return InertUnpickler(file, **kwargs).load()

    return InertPickleModule


def extract_tensors(path: str, map_location: Any = 'cpu') -> tuple:
    """Read a released checkpoint that pickles foreign objects (Lightning ``.ckpt`` callbacks, DiT's
    ``argparse.Namespace``) without executing any of them.

    Returns ``(obj, skipped)``: the unpickled structure, in which tensors and plain containers are real and every
    other object is an inert placeholder, and the sorted names of the globals that were replaced.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'weights file not found: {path}')
    skipped: set = set()
    # weights_only=False only hands unpickling to our module, which resolves nothing beyond torch's
    # weights-only allow-list, so no global named by the file can run.
    try:
        obj = torch.load(
            path, map_location=map_location, weights_only=False, pickle_module=_inert_pickle_module(skipped)
        )
    except (pickle.UnpicklingError, *TORCH_LOAD_ERRORS) as e:
        raise as_corrupt(path, e, 'a weights file') from None
    return obj, sorted(skipped)


def load_released_weights(path: str, map_location: Any = 'cpu') -> tuple:
    """A released weights file as plain data: ``.safetensors`` directly; pickled files with ``weights_only=True``,
    or, when they pickle foreign objects, through ``extract_tensors``. Returns ``(obj, skipped_globals)``."""
    path = resolve_path(path)
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file

        if not osp.isfile(path):
            raise FileNotFoundError(f'weights file not found: {path}')
        from safetensors import SafetensorError

        try:
            return load_file(path, device=str(map_location)), []
        except SafetensorError as e:  # a bad header, or a file shorter than its header says
            raise CorruptFileError(path, 'a safetensors file', e) from None
    try:
        return load_from_local_safe(path, map_location), []
    except UnsafeCheckpointError:
        return extract_tensors(path, map_location)
