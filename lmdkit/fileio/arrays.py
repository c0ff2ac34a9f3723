"""numpy files (``.npy`` shards, ``.npz`` batches and statistics) read with errors that name the file."""

import pickle
import zipfile
from typing import Dict, Optional, Sequence

import numpy as np

from .errors import CorruptFileError

#: what numpy raises for a file that is not (or no longer) what it claims: a bad zip, a cut-off header or body
_NUMPY_DECODE_ERRORS = (ValueError, EOFError, zipfile.BadZipFile, pickle.UnpicklingError, KeyError)


def load_npy(path: str, mmap_mode: Optional[str] = None, what: str = 'a .npy array') -> np.ndarray:
    """``np.load(path, mmap_mode)`` of one array; a damaged file raises ``CorruptFileError`` naming it."""
    try:
        return np.load(path, mmap_mode=mmap_mode, allow_pickle=False)
    except _NUMPY_DECODE_ERRORS as e:
        raise CorruptFileError(path, what, e) from None


def read_npz(path: str, keys: Optional[Sequence[str]] = None, what: str = 'an .npz file') -> Dict[str, np.ndarray]:
    """The arrays ``keys`` (all when None; absent keys are left out) of an ``.npz``, read into memory; a damaged
    file raises ``CorruptFileError`` naming it."""
    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in (f.files if keys is None else keys) if k in f.files}
    except _NUMPY_DECODE_ERRORS as e:
        raise CorruptFileError(path, what, e) from None
