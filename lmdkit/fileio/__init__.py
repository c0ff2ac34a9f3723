"""File-level helpers shared by every loader: the error raised for a file that cannot be decoded, numpy readers."""

from .arrays import load_npy, read_npz
from .errors import CorruptFileError

__all__ = ['CorruptFileError', 'load_npy', 'read_npz']
