"""Checkpoints: weights-only loading that refuses pickled code, plain-data conversion, atomic writes."""

import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.fileio import get_file_backend
from mmengine.logging import MessageHub
from mmengine.runner.checkpoint import CheckpointLoader

from lmdkit.apis import init_model
from lmdkit.engine.checkpoint import (
    AtomicLocalBackend,
    UnsafeCheckpointError,
    atomic_torch_save,
    atomic_write,
    from_plain,
    load_from_local_safe,
    to_plain,
)

from ..conftest import QUICK_START


class _Payload:
    """Unpickling this runs a shell command: the classic malicious checkpoint."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}',))


def test_malicious_checkpoint_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / 'pwned'
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'meta': _Payload(str(marker))}, path)
    for load in (
        lambda: load_from_local_safe(path),
        lambda: CheckpointLoader.load_checkpoint(path, map_location='cpu'),  # the path --resume/load_from take
        lambda: init_model(QUICK_START, path),
    ):
        with pytest.raises(UnsafeCheckpointError, match='refused to load'):
            load()
        assert not marker.exists(), 'the payload ran'


def test_plain_mmengine_message_hub_roundtrip(tmp_path):
    hub = MessageHub.get_instance('test_plain_roundtrip')
    for v in (1.0, np.float64(2.5), 3):
        hub.update_scalar('train/loss', v)
    hub.update_info('iter', np.int64(7))
    state = hub.state_dict()
    path = str(tmp_path / 'hub.pth')
    torch.save(dict(message_hub=state), path)
    with pytest.raises(UnsafeCheckpointError):  # plain MMEngine state pickles HistoryBuffer + getattr
        load_from_local_safe(path)
    atomic_torch_save(dict(message_hub=to_plain(state)), path)
    restored = from_plain(load_from_local_safe(path)['message_hub'])
    buf = restored['log_scalars']['train/loss']
    np.testing.assert_array_equal(buf.data[0], [1.0, 2.5, 3.0])
    assert restored['runtime_info']['iter'] == 7 and isinstance(restored['runtime_info']['iter'], int)
    new_hub = MessageHub.get_instance('test_plain_roundtrip_2')
    new_hub.load_state_dict(restored)
    assert new_hub.get_scalar('train/loss').mean() == pytest.approx(6.5 / 3)


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


def test_atomic_backend_is_what_the_checkpoint_hook_gets(tmp_path):
    backend = get_file_backend(str(tmp_path), backend_args=dict(backend='atomic_local'))
    assert isinstance(backend, AtomicLocalBackend)
    backend.put(b'abc', osp.join(tmp_path, 'x.bin'))
    backend.put_text('last', osp.join(tmp_path, 'last_checkpoint'))
    assert open(osp.join(tmp_path, 'x.bin'), 'rb').read() == b'abc'
    assert open(osp.join(tmp_path, 'last_checkpoint')).read() == 'last'


def test_missing_checkpoint_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_from_local_safe(str(tmp_path / 'nope.pth'))


@pytest.mark.parametrize(
    'content',
    [b'', b'hello, not a checkpoint\n', 'truncated'],
    ids=['empty', 'text', 'truncated'],
)
def test_a_damaged_file_is_named_and_called_corrupt(tmp_path, content):
    from lmdkit.engine.checkpoint import load_released_weights
    from lmdkit.fileio import CorruptFileError

    path = tmp_path / 'damaged.pth'
    if content == 'truncated':
        torch.save({'state_dict': {'w': torch.randn(64, 64)}, 'meta': {}}, path)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    else:
        path.write_bytes(content)
    for load in (load_from_local_safe, load_released_weights):
        with pytest.raises(CorruptFileError, match=r'damaged\.pth: corrupt, truncated or not'):
            load(str(path))
    (tmp_path / 'w.safetensors').write_bytes(b'\x08\x00\x00\x00\x00\x00\x00\x00{"a":1}')
    with pytest.raises(CorruptFileError, match=r'w\.safetensors: corrupt, truncated or not a safetensors file'):
        load_released_weights(str(tmp_path / 'w.safetensors'))


def test_errors_about_something_else_than_the_bytes_pass_through(tmp_path):
    import zipfile

    from lmdkit.fileio import CorruptFileError

    path = str(tmp_path / 'good.pth')
    torch.save({'w': torch.zeros(3)}, path)
    with pytest.raises(RuntimeError, match='device') as info:  # a wrong map_location is not a damaged file
        load_from_local_safe(path, map_location='cuda0')
    assert not isinstance(info.value, CorruptFileError)
    with pytest.raises(FileNotFoundError, match='checkpoint not found'):
        load_from_local_safe(str(tmp_path / 'absent.pth'))
    # a garbled pickle stream inside an intact zip is damage, not a refused object
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    pickled = next(n for n in members if n.endswith('data.pkl'))
    members[pickled] = members[pickled][:5] + b'\xee' * 20 + members[pickled][25:]
    with zipfile.ZipFile(str(tmp_path / 'garbled.pth'), 'w') as z:
        for name, data in members.items():
            z.writestr(name, data)
    with pytest.raises(CorruptFileError, match=r'garbled\.pth: corrupt, truncated or not a checkpoint'):
        load_from_local_safe(str(tmp_path / 'garbled.pth'))
