"""One error for every file lmdkit cannot read: it names the file and what it was expected to be."""

import errno
from typing import Optional


class CorruptFileError(ValueError):
    """A file exists but cannot be decoded (empty, truncated, overwritten or of another format).

    Raised by every loader (checkpoints, released weights, idx files) instead of the decoder's own exception
    (``EOFError``, ``KeyError: 101``, a zip or gzip error), which does not name the file.
    """

    def __init__(self, path: str, expected: str = 'a checkpoint', cause: Optional[BaseException] = None) -> None:
        self.path = str(path)
        detail = ''
        if cause is not None:
            said = str(cause)
            said = said[:200] + '...' if len(said) > 200 else said
            detail = f' ({type(cause).__name__}: {said})' if said else f' ({type(cause).__name__})'
        super().__init__(
            f'{self.path}: corrupt, truncated or not {expected}{detail}. Re-create or re-download the file, '
            'or point to another one.'
        )


#: what torch.load raises on an empty (EOFError), non-torch (KeyError: a pickle opcode), truncated (OSError
#: EINVAL, or RuntimeError from the zip reader) or garbled (ValueError, UnpicklingError) file
TORCH_LOAD_ERRORS = (EOFError, KeyError, RuntimeError, OSError, ValueError)
#: RuntimeErrors of the zip container (the rest, e.g. a device map_location, are not about the file)
_ZIP_WORDS = ('PytorchStreamReader', 'zip archive', 'central directory', 'not in a subdirectory')


def as_corrupt(path: str, error: BaseException, expected: str = 'a checkpoint') -> BaseException:
    """``error`` (one of ``TORCH_LOAD_ERRORS`` or an ``UnpicklingError``) as a ``CorruptFileError`` naming ``path``
    when it says the file's bytes cannot be decoded; any other error (a missing or unreadable file, a full disk, a
    device that does not exist) is returned unchanged."""
    if isinstance(error, OSError):
        damaged = type(error) is OSError and error.errno in (None, errno.EINVAL)  # not Permission/NotFound/…
    elif isinstance(error, RuntimeError):
        damaged = any(word in str(error) for word in _ZIP_WORDS)
    else:
        damaged = True
    return CorruptFileError(path, expected, error) if damaged else error
