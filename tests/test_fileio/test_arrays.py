"""numpy readers name a damaged file instead of passing numpy's or zipfile's error on."""

import numpy as np
import pytest

from lmdkit.fileio import CorruptFileError, load_npy, read_npz


def test_read_npz_and_load_npy_round_trip_and_name_damage(tmp_path):
    batch = np.arange(24, dtype=np.uint8).reshape(2, 3, 4, 1)
    np.savez(tmp_path / 'ref.npz', arr_0=batch, arr_1=np.array([3, 5]))
    arrays = read_npz(str(tmp_path / 'ref.npz'))
    assert np.array_equal(arrays['arr_0'], batch) and arrays['arr_1'].tolist() == [3, 5]
    assert list(read_npz(str(tmp_path / 'ref.npz'), ('arr_1', 'mu'))) == ['arr_1']  # absent keys left out
    (tmp_path / 'cut.npz').write_bytes((tmp_path / 'ref.npz').read_bytes()[:100])
    with pytest.raises(CorruptFileError, match=r'cut\.npz: corrupt, truncated or not an \.npz file'):
        read_npz(str(tmp_path / 'cut.npz'))
    np.save(tmp_path / 'shard.npy', batch)
    assert np.array_equal(load_npy(str(tmp_path / 'shard.npy'), 'r'), batch)
    (tmp_path / 'cut.npy').write_bytes((tmp_path / 'shard.npy').read_bytes()[:-10])
    with pytest.raises(CorruptFileError, match=r'cut\.npy: corrupt, truncated or not a shard'):
        load_npy(str(tmp_path / 'cut.npy'), 'r', what='a shard')
