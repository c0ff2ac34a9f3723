"""File-level helpers shared by every loader: the error raised for a file that cannot be decoded, numpy readers,
the paths of files shipped inside the package."""

from .arrays import load_npy, read_npz
from .errors import TORCH_LOAD_ERRORS, CorruptFileError, as_corrupt
from .paths import MODEL_WEIGHTS, PACKAGE_SCHEME, resolve_path

__all__ = [
    'CorruptFileError',
    'MODEL_WEIGHTS',
    'PACKAGE_SCHEME',
    'TORCH_LOAD_ERRORS',
    'as_corrupt',
    'load_npy',
    'read_npz',
    'resolve_path',
]
