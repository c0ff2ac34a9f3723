"""File-level helpers shared by every loader: the error raised for a file that cannot be decoded."""

from .errors import CorruptFileError

__all__ = ['CorruptFileError']
