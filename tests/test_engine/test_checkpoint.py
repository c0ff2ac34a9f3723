"""MMEngine's checkpoint I/O made safe (``lmdkit.engine.checkpoint``): every loading path refuses pickled code,
the message hub travels as plain data, the checkpoint hook writes atomically. The file-level parts are tested in
tests/test_fileio/."""

import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.fileio import get_file_backend
from mmengine.logging import MessageHub
from mmengine.runner.checkpoint import CheckpointLoader

from lmdkit.apis import init_model
from lmdkit.engine.checkpoint import AtomicLocalBackend, from_plain, to_plain
from lmdkit.fileio import UnsafeCheckpointError, atomic_torch_save, load_from_local_safe

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


def test_atomic_backend_is_what_the_checkpoint_hook_gets(tmp_path):
    backend = get_file_backend(str(tmp_path), backend_args=dict(backend='atomic_local'))
    assert isinstance(backend, AtomicLocalBackend)
    backend.put(b'abc', osp.join(tmp_path, 'x.bin'))
    backend.put_text('last', osp.join(tmp_path, 'last_checkpoint'))
    assert open(osp.join(tmp_path, 'x.bin'), 'rb').read() == b'abc'
    assert open(osp.join(tmp_path, 'last_checkpoint')).read() == 'last'
