"""Released weights files as plain data, including those that pickle foreign objects (Lightning ``.ckpt``
callbacks, DiT's ``argparse.Namespace``): an unpickler that maps every unknown global to an inert placeholder."""

import os.path as osp
import pickle
from typing import Any

import torch

from .errors import TORCH_LOAD_ERRORS, CorruptFileError, as_corrupt
from .paths import resolve_path
from .safe_load import UnsafeCheckpointError, load_from_local_safe


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
