"""Progress output for the steps of a command-line tool that have no natural item count (reading a file)."""

import os
import sys
import time
from contextlib import contextmanager
from typing import Iterator, Optional, TextIO


def describe_file(path: str) -> str:
    """``path`` with its size, e.g. ``vit-b.pth (327.4 MB)``."""
    return f'{path} ({os.path.getsize(path) / 2**20:.1f} MB)' if os.path.isfile(path) else path


@contextmanager
def stage(message: str, stream: Optional[TextIO] = None) -> Iterator[None]:
    """Print ``message …`` when a step starts and ``done in N s`` when it ends (or ``failed after N s``)."""
    stream = stream or sys.stdout
    print(f'{message} ...', end='', flush=True, file=stream)
    start = time.perf_counter()
    try:
        yield
    except BaseException:
        print(f' failed after {time.perf_counter() - start:.1f} s', file=stream, flush=True)
        raise
    print(f' done in {time.perf_counter() - start:.1f} s', file=stream, flush=True)
