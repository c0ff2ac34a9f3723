"""One error for every file lmdkit cannot read: it names the file and what it was expected to be."""

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
