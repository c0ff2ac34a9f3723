"""Loading checkpoints with ``torch.load(weights_only=True)`` and nothing more.

No global beyond torch's own is allowed. lmdkit's checkpoints are plain data (tensors, numbers, strings,
containers): ``ExactResumeHook`` stores MMEngine's ``HistoryBuffer`` objects as dicts and numpy values as
tensors/scalars before saving. Plain MMEngine would need ``HistoryBuffer``, numpy's reconstruct helpers and
``builtins.getattr`` allowed (the last one lets a file call any attribute of an allowed class); we allow none of
them. Any pickled object is refused with ``UnsafeCheckpointError`` before any of its code runs; there is no unsafe
fallback. Released files that pickle foreign objects are read by ``lmdkit.fileio.released`` instead.
"""

import io
import os.path as osp
import pickle
from typing import Any, Union

import torch

from .errors import TORCH_LOAD_ERRORS, CorruptFileError, as_corrupt
from .paths import MODEL_WEIGHTS, resolve_path


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
