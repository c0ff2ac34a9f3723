"""Safe loading (``lmdkit.fileio.safe_load``, ``released``): missing and damaged files are named and called what
they are; errors about something else pass through."""

import pytest
import torch

from lmdkit.fileio import load_from_local_safe


def test_missing_checkpoint_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_from_local_safe(str(tmp_path / 'nope.pth'))


@pytest.mark.parametrize(
    'content',
    [b'', b'hello, not a checkpoint\n', 'truncated'],
    ids=['empty', 'text', 'truncated'],
)
def test_a_damaged_file_is_named_and_called_corrupt(tmp_path, content):
    from lmdkit.fileio import CorruptFileError, load_released_weights

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
