"""File-level helpers shared by every loader: the error raised for a file that cannot be decoded, numpy readers."""

from .arrays import load_npy, read_npz
from .errors import TORCH_LOAD_ERRORS, CorruptFileError, as_corrupt

__all__ = ['CorruptFileError', 'TORCH_LOAD_ERRORS', 'as_corrupt', 'load_npy', 'read_npz']
