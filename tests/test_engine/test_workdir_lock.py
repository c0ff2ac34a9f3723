"""One run per work dir: a second holder is refused naming the first; a dead holder's lock is reported as stale."""

import json
import multiprocessing as mp
import os
import os.path as osp

import pytest

from lmdkit.engine.workdir_lock import LOCK_FILE, WorkDirLock, WorkDirLockedError, lock_work_dir_for_job


def _try_lock(work_dir, queue, release):
    """In a child process: take the lock, report the outcome, then release it or die holding it."""
    try:
        lock = WorkDirLock(work_dir).acquire()
    except WorkDirLockedError as e:
        queue.put(('refused', str(e)))
        return
    queue.put(('held', os.getpid()))
    queue.close()
    queue.join_thread()  # flushed before os._exit, which skips the queue's own clean-up
    if release:
        lock.release()
    os._exit(0)  # without release: as a killed run, the kernel drops the flock and the file stays


def in_child(work_dir, release=True):
    ctx = mp.get_context('fork')
    queue = ctx.Queue()
    proc = ctx.Process(target=_try_lock, args=(str(work_dir), queue, release))
    proc.start()
    outcome = queue.get(timeout=60)
    proc.join(60)
    return outcome


def test_a_live_holder_refuses_others_and_releases(tmp_path):
    with WorkDirLock(str(tmp_path)) as lock:
        holder = json.loads(open(lock.path).read())
        assert holder['pid'] == os.getpid() and holder['host'] and holder['started'] and holder['command']
        kind, message = in_child(tmp_path)
        assert kind == 'refused'
        assert f'{tmp_path} is in use by another training run (pid {os.getpid()} on ' in message
        assert LOCK_FILE in message and '--work-dir' in message
        assert lock.stale is None
    assert not osp.exists(tmp_path / LOCK_FILE)
    assert in_child(tmp_path)[0] == 'held'  # free again
    assert lock_work_dir_for_job(str(tmp_path)).release() is None  # one process: rank 0 takes it


def test_a_dead_holders_lock_is_reported_and_replaced(tmp_path):
    kind, pid = in_child(tmp_path, release=False)
    assert kind == 'held' and osp.exists(tmp_path / LOCK_FILE)
    lock = WorkDirLock(str(tmp_path)).acquire()
    try:
        assert lock.stale['pid'] == pid
        assert f'replaced a stale lock of a run that ended without releasing it (pid {pid} on ' in lock.stale_message()
    finally:
        lock.release()


def test_the_job_level_lock_raises_for_every_rank(tmp_path):
    with WorkDirLock(str(tmp_path)):
        with pytest.raises(WorkDirLockedError, match='in use by another training run'):
            lock_work_dir_for_job(str(tmp_path))  # the same process, a second open file: refused too


def test_a_lock_left_on_another_host_is_refused_not_replaced(tmp_path):
    holder = dict(host='another-node', pid=123, started='2026-01-01T00:00:00', command='tools/train.py x.py')
    (tmp_path / LOCK_FILE).write_text(json.dumps(holder))
    with pytest.raises(
        WorkDirLockedError, match=r'pid 123 on another-node.*another host.*if that run has ended, delete'
    ):
        WorkDirLock(str(tmp_path)).acquire()
    assert json.loads((tmp_path / LOCK_FILE).read_text()) == holder  # left as it was


def test_release_removes_only_its_own_file(tmp_path):
    lock = WorkDirLock(str(tmp_path)).acquire()
    os.remove(lock.path)  # someone deleted it, and another run made a new one
    (tmp_path / LOCK_FILE).write_text('{"pid": 1}')
    lock.release()
    assert (tmp_path / LOCK_FILE).read_text() == '{"pid": 1}'
