"""Atomic writes (``lmdkit.fileio.atomic``): an interrupted write leaves the previous file, modes are refused."""

import os

import pytest
import torch

from lmdkit.fileio import atomic_torch_save, atomic_write, load_from_local_safe


def test_interrupted_write_keeps_the_previous_file(tmp_path):
    path = str(tmp_path / 'ckpt.pth')
    atomic_torch_save({'w': torch.ones(3)}, path)

    def crash(f):
        f.write(b'half a checkpoint')
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, crash)
    assert torch.equal(load_from_local_safe(path)['w'], torch.ones(3))
    assert os.listdir(tmp_path) == ['ckpt.pth'], 'temporary file left behind'


def test_atomic_writes_get_the_mode_open_gives_and_refuse_appending(tmp_path):
    path = str(tmp_path / 'card.md')
    atomic_write(path, lambda f: f.write('text'), mode='w')
    plain = str(tmp_path / 'plain.md')
    with open(plain, 'w') as f:  # what the process's umask gives a new file
        f.write('text')
    assert os.stat(path).st_mode & 0o777 == os.stat(plain).st_mode & 0o777  # not mkstemp's 0600
    with pytest.raises(ValueError, match="mode 'w' or 'wb'"):
        atomic_write(path, lambda f: f.write('more'), mode='a')
    assert open(path).read() == 'text'
