"""One training run per work dir: an advisory lock file naming its holder (host, pid, start time, command).

Two runs writing one work dir overwrite each other's checkpoints and interleave their records, and both exit 0.
``tools/train.py`` takes this lock on rank 0 before anything is written; a second run stops at once, naming the
holder. The lock is an ``flock`` on ``WORK_DIR/.lmdkit.lock``, so the kernel releases it when its process dies,
however it dies; the file's contents then describe a stale holder, which the next run reports and replaces. There
is deliberately no way to override a live holder.

Some shared filesystems lock only within one machine (Lustre's ``localflock``) or not at all: a lock left by a
run on another host is therefore refused rather than replaced (delete the file once that run is known to have
ended), and where ``flock`` is unsupported the holder's pid decides on this host.
"""

import datetime
import fcntl
import json
import os
import os.path as osp
import socket
import sys
import time
from typing import Optional

LOCK_FILE = '.lmdkit.lock'


class WorkDirLockedError(RuntimeError):
    """Another live run holds the work dir."""


def _describe(holder: dict) -> str:
    return (f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}, started {holder.get('started', '?')}: "
            f"{holder.get('command', '?')}")  # fmt: skip


class WorkDirLock:
    """``with WorkDirLock(work_dir) as lock:`` holds ``work_dir`` for this process; ``lock.stale`` describes a
    previous holder that died without releasing it (None if there was none)."""

    def __init__(self, work_dir: str) -> None:
        self.work_dir = work_dir
        self.path = osp.join(work_dir, LOCK_FILE)
        self.stale: Optional[dict] = None
        self._fd: Optional[int] = None

    def acquire(self) -> 'WorkDirLock':
        """Take the lock or raise ``WorkDirLockedError`` naming the live holder."""
        os.makedirs(self.work_dir, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = self._read(fd, wait=True)
                os.close(fd)
                raise WorkDirLockedError(self._in_use(holder)) from None
            except OSError:  # no flock on this filesystem: the holder's pid decides (this host only)
                holder = self._read(fd)
                if holder and (holder.get('host') != socket.gethostname() or _alive(holder.get('pid'))):
                    os.close(fd)
                    raise WorkDirLockedError(self._in_use(holder)) from None
            # the holder we waited on may have removed the file after we opened it: lock the file at the path
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        previous = self._read(fd)
        if previous and previous.get('host') != socket.gethostname():  # its flock may not reach this host
            os.close(fd)  # drops our flock with it
            raise WorkDirLockedError(
                self._in_use(previous) + ' It ran on another host, whose lock this one cannot see: if that run has '
                f'ended, delete {self.path}.'
            )
        self.stale = previous or None  # contents left behind: that holder died without releasing the lock
        me = dict(
            host=socket.gethostname(),
            pid=os.getpid(),
            started=datetime.datetime.now().isoformat(timespec='seconds'),
            command=' '.join(sys.argv),
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode(), 0)
        os.fsync(fd)
        self._fd = fd
        return self

    def _in_use(self, holder: dict) -> str:
        return (f'{self.work_dir} is in use by another training run ({_describe(holder)}); its lock is {self.path}. '
                'Wait for that run to end, stop it, or train into another --work-dir.')  # fmt: skip

    def stale_message(self) -> Optional[str]:
        """A line reporting a stale lock this run replaced, or None."""
        if not self.stale:
            return None
        return f'{self.path}: replaced a stale lock of a run that ended without releasing it ({_describe(self.stale)})'

    def release(self) -> None:
        """Remove the lock file and drop the lock (idempotent)."""
        if self._fd is None:
            return
        try:
            if os.stat(self.path).st_ino == os.fstat(self._fd).st_ino:  # still our file (not deleted and re-made)
                os.remove(self.path)  # before unlocking: a run that locks next finds no stale holder
        except FileNotFoundError:
            pass
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        except OSError:  # a filesystem without flock (see the module docstring)
            pass
        os.close(self._fd)
        self._fd = None

    @staticmethod
    def _read(fd: int, wait: bool = False) -> dict:
        """The holder's details; with ``wait``, give a holder that has just locked a moment to write them."""
        for _ in range(20 if wait else 1):
            data = os.pread(fd, 1 << 16, 0)
            if data.strip():
                break
            time.sleep(0.05)
        try:
            return json.loads(data) if data.strip() else {}
        except ValueError:
            return {'command': f'<unreadable lock contents {data[:80]!r}>'}

    def __enter__(self) -> 'WorkDirLock':
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _alive(pid) -> bool:
    """Whether a process ``pid`` exists on this host."""
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, TypeError, ValueError):
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def lock_work_dir_for_job(work_dir: str) -> Optional[WorkDirLock]:
    """Rank 0 takes ``work_dir``'s lock (and reports a stale one it replaced); every rank raises
    ``WorkDirLockedError`` when it could not. Returns rank 0's lock, None elsewhere."""
    from mmengine.dist import broadcast_object_list, get_rank
    from mmengine.logging import print_log

    lock, refused = None, [None]
    if get_rank() == 0:
        try:
            lock = WorkDirLock(work_dir).acquire()
        except WorkDirLockedError as e:
            refused[0] = str(e)
        except OSError as e:  # a read-only or foreign folder: the other ranks must not wait for rank 0
            refused[0] = f'cannot take the lock {osp.join(work_dir, LOCK_FILE)}: {e}'
        else:
            if lock.stale_message():
                print_log(lock.stale_message(), logger='current', level=30)
    broadcast_object_list(refused)  # a no-op without a process group
    if refused[0]:
        raise WorkDirLockedError(refused[0])
    return lock
