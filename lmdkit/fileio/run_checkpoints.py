"""Which checkpoint of a run's work dir is the latest: one reading of MMEngine's ``last_checkpoint`` pointer for the
training program, the guard, the run record and the ablation runner."""

import glob
import os.path as osp
import re
from typing import Optional

#: the file MMEngine's CheckpointHook (and lmdkit's interrupt hook) writes the newest checkpoint's path into
POINTER = 'last_checkpoint'


def pointed_checkpoint(work_dir: str) -> Optional[str]:
    """The path ``work_dir/last_checkpoint`` names (None: no pointer, or an empty one)."""
    path = osp.join(work_dir, POINTER)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return f.read().strip() or None


def latest_checkpoint(work_dir: str) -> Optional[str]:
    """The pointer's target when it names an existing file, else the highest ``iter_N.pth`` (None: none).
    Checkpoints are written atomically, but MMEngine's pointer is not: a kill while it is written leaves it empty."""
    target = pointed_checkpoint(work_dir)
    if target and osp.isfile(target):
        return target
    found = [(int(m.group(1)), p) for p in glob.glob(osp.join(work_dir, 'iter_*.pth'))
             if (m := re.search(r'iter_(\d+)\.pth$', p))]  # fmt: skip
    return max(found)[1] if found else None
