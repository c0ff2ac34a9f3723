"""Everything that reads or writes a file of weights, checkpoints or arrays, in one place: safe loading
(``weights_only``; inert unpickling of released files), atomic writes, weight formats and key converters, the error
raised for a file that cannot be decoded, and the paths of files shipped inside the package. Imports nothing from
lmdkit above ``registry``: every layer may use it."""

from .arrays import load_npy, read_npz
from .atomic import atomic_torch_save, atomic_write
from .errors import TORCH_LOAD_ERRORS, CorruptFileError, as_corrupt
from .paths import MODEL_WEIGHTS, PACKAGE_SCHEME, resolve_path
from .released import extract_tensors, load_released_weights
from .run_checkpoints import latest_checkpoint, pointed_checkpoint
from .safe_load import (
    UnsafeCheckpointError,
    is_model_folder,
    load_from_local_safe,
    load_model_folder,
    safe_torch_load,
)

__all__ = [
    'CorruptFileError',
    'MODEL_WEIGHTS',
    'PACKAGE_SCHEME',
    'TORCH_LOAD_ERRORS',
    'UnsafeCheckpointError',
    'as_corrupt',
    'atomic_torch_save',
    'atomic_write',
    'extract_tensors',
    'is_model_folder',
    'latest_checkpoint',
    'load_from_local_safe',
    'load_model_folder',
    'load_npy',
    'load_released_weights',
    'pointed_checkpoint',
    'read_npz',
    'resolve_path',
    'safe_torch_load',
]
