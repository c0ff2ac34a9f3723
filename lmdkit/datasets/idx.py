"""Readers for the idx format of (Fashion-)MNIST (``*-ubyte`` files, optionally gzipped)."""

import gzip
import os.path as osp
import struct
import zlib

import numpy as np

from ..fileio import CorruptFileError

# idx type codes -> numpy dtypes (big-endian on disk).
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: '>i2', 0x0C: '>i4', 0x0D: '>f4', 0x0E: '>f8'}


def read_idx(path: str) -> np.ndarray:
    """Read an idx file (plain or ``.gz``) into a numpy array of its declared shape."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'idx file not found: {path}')
    opener = gzip.open if path.endswith('.gz') else open
    try:
        with opener(path, 'rb') as f:
            data = f.read()
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:  # a cut-off download or a file that is not gzip
        raise CorruptFileError(path, 'an idx file', e) from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise CorruptFileError(path, 'an idx file', ValueError(f'bad magic number {data[:4]!r}'))
    type_code, ndim = data[2], data[3]
    if type_code not in _IDX_DTYPES:
        raise CorruptFileError(path, 'an idx file', ValueError(f'unknown idx data type 0x{type_code:02x}'))
    if len(data) < 4 + 4 * ndim:
        raise CorruptFileError(path, 'an idx file', ValueError(f'header cut off after {len(data)} bytes'))
    shape = struct.unpack(f'>{ndim}I', data[4 : 4 + 4 * ndim])
    itemsize = np.dtype(_IDX_DTYPES[type_code]).itemsize
    body = data[4 + 4 * ndim :]
    if len(body) != int(np.prod(shape)) * itemsize:
        said = f'header says shape {shape} but the file holds {len(body) // itemsize} values'
        raise CorruptFileError(path, 'an idx file', ValueError(said))
    array = np.frombuffer(body, dtype=_IDX_DTYPES[type_code])
    return array.reshape(shape).astype(np.dtype(_IDX_DTYPES[type_code]).newbyteorder('='))


def write_idx(path: str, array: np.ndarray) -> None:
    """Write a uint8 array as an idx file (gzipped if ``path`` ends in ``.gz``); used by tests and tools."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f'>{array.ndim}I', *array.shape)
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'wb') as f:
        f.write(header + array.tobytes())
