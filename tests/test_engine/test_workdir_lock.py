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


def _job_rank(rank, work_dir, init_file, results):
    """One rank of a 2-rank gloo job asking for the job-level lock."""
    import torch.distributed as dist

    dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank, world_size=2)
    try:
        lock = lock_work_dir_for_job(work_dir)
        results[rank] = ('held' if lock is not None else 'not rank 0', None)
        if lock is not None:
            lock.release()
    except WorkDirLockedError as e:
        results[rank] = ('refused', str(e))
    finally:
        dist.destroy_process_group()


def run_job(work_dir, init_file):
    ctx = mp.get_context('fork')  # the ranks need nothing of torch's threads: forking is seconds faster
    results = ctx.Manager().dict()
    procs = [ctx.Process(target=_job_rank, args=(r, work_dir, init_file, results)) for r in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    return dict(results)


def test_the_job_level_lock_is_rank_0s_and_its_refusal_reaches_every_rank(tmp_path):
    work = str(tmp_path / 'run')
    assert run_job(work, tmp_path / 'init1') == {0: ('held', None), 1: ('not rank 0', None)}
    with WorkDirLock(work):  # another run holds it: both ranks are told, with rank 0's message
        results = run_job(work, tmp_path / 'init2')
    assert [results[r][0] for r in (0, 1)] == ['refused', 'refused']
    assert results[0][1] == results[1][1] and f'(pid {os.getpid()} on ' in results[1][1]
    (tmp_path / 'a_file').write_text('')  # rank 0 cannot make the work dir (an OSError): shared as well
    results = run_job(str(tmp_path / 'a_file' / 'run'), tmp_path / 'init3')
    assert [results[r][0] for r in (0, 1)] == ['refused', 'refused'] and 'cannot take the lock' in results[1][1]


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
