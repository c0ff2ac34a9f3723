"""Dataset readers on files the tests write, and their errors."""

import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from lmdkit.datasets import read_idx, write_idx
from lmdkit.registry import DATASETS

from ..conftest import require

PACK = [dict(type='LoadImage'), dict(type='PackInputs')]


def save_png(path, value, size=(12, 10)):
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(np.full((size[1], size[0], 3), value, np.uint8)).save(path)


def test_idx_roundtrip(tmp_path):
    arr = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    for name in ('a-idx3-ubyte', 'b-idx3-ubyte.gz'):
        write_idx(str(tmp_path / name), arr)
        np.testing.assert_array_equal(read_idx(str(tmp_path / name)), arr)
    (tmp_path / 'bad').write_bytes(b'\x01\x02\x03\x04')
    with pytest.raises(ValueError, match='not an idx file'):
        read_idx(str(tmp_path / 'bad'))


def test_fashion_mnist_from_idx_files(tmp_path):
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (7, 28, 28), dtype=np.uint8), np.arange(7, dtype=np.uint8) % 10
    write_idx(str(tmp_path / 't10k-images-idx3-ubyte.gz'), images)
    write_idx(str(tmp_path / 't10k-labels-idx1-ubyte.gz'), labels)
    ds = DATASETS.build(
        dict(type='FashionMNIST', data_root=str(tmp_path), split='test', pipeline=[dict(type='PackInputs')])
    )
    assert len(ds) == 7
    sample = ds[3]
    np.testing.assert_array_equal(sample['inputs'][0].numpy(), images[3])
    assert int(sample['data_samples']['gt_label']) == 3 and int(sample['data_samples']['sample_idx']) == 3


def test_fashion_mnist_missing_root_says_how_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError, match='apt-get install -y dataset-fashion-mnist'):
        DATASETS.build(dict(type='FashionMNIST', data_root=str(tmp_path / 'nowhere')))


def test_embedded_subset_is_stratified():
    for split, n in (('train', 2000), ('test', 500)):
        ds = DATASETS.build(dict(type='EmbeddedFashionMNIST', split=split))
        labels = np.array([ds.get_data_info(i)['gt_label'] for i in range(len(ds))])
        assert len(ds) == n and np.bincount(labels).tolist() == [n // 10] * 10
        img = ds.get_data_info(0)['img']
        assert img.shape == (28, 28) and img.dtype == np.uint8 and img.max() > 100
    assert ds.metainfo['classes'][9] == 'Ankle boot'


def test_imagenet_class_folders(tmp_path):
    for cls, value in (('n01', 10), ('n02', 200)):
        for i in range(2):
            save_png(str(tmp_path / 'train' / cls / f'{i}.png'), value)
    ds = DATASETS.build(dict(type='ImageNet', data_root=str(tmp_path), split='train', pipeline=PACK))
    assert len(ds) == 4 and ds.metainfo['classes'] == ('n01', 'n02')
    sample = ds[3]
    assert tuple(sample['inputs'].shape) == (3, 10, 12) and int(sample['data_samples']['gt_label']) == 1
    assert int(sample['inputs'].float().mean()) == 200


def test_imagenet_annotation_file(tmp_path):
    save_png(str(tmp_path / 'val' / 'a.png'), 1)
    save_png(str(tmp_path / 'val' / 'sub' / 'b.png'), 2)
    (tmp_path / 'val.txt').write_text('a.png 3\nsub/b.png 0\n')
    ds = DATASETS.build(dict(type='ImageNet', data_root=str(tmp_path), split='val', ann_file='val.txt', pipeline=PACK))
    assert [ds.get_data_info(i)['gt_label'] for i in range(2)] == [3, 0]
    assert len(ds.metainfo['classes']) == 4
    (tmp_path / 'broken.txt').write_text('a.png\n')
    with pytest.raises(ValueError, match='broken.txt:1'):
        DATASETS.build(dict(type='ImageNet', data_root=str(tmp_path), split='val', ann_file='broken.txt'))


def test_unlabeled_folder_and_empty_folder(tmp_path):
    save_png(str(tmp_path / 'imgs' / 'x' / 'a.jpg'), 5)
    save_png(str(tmp_path / 'imgs' / 'b.png'), 6)
    (tmp_path / 'imgs' / 'notes.txt').write_text('not an image')
    ds = DATASETS.build(dict(type='UnlabeledImageFolder', data_root=str(tmp_path / 'imgs'), pipeline=PACK))
    assert len(ds) == 2 and int(ds[0]['data_samples']['gt_label']) == -1
    os.makedirs(tmp_path / 'empty')
    with pytest.raises(FileNotFoundError, match='no images'):
        DATASETS.build(dict(type='UnlabeledImageFolder', data_root=str(tmp_path / 'empty')))
    with pytest.raises(FileNotFoundError, match='missing'):
        DATASETS.build(dict(type='UnlabeledImageFolder', data_root=str(tmp_path / 'missing')))


def test_undecodable_image_names_the_path_or_is_skipped(tmp_path):
    save_png(str(tmp_path / 'c' / 'good.png'), 7)
    (tmp_path / 'c' / 'bad.png').write_bytes(b'this is not a png')
    cfg = dict(type='UnlabeledImageFolder', data_root=str(tmp_path / 'c'), pipeline=PACK)
    ds = DATASETS.build(cfg)
    bad = [i for i in range(len(ds)) if ds.get_data_info(i)['img_path'].endswith('bad.png')][0]
    with pytest.raises(ValueError, match='bad.png'):
        ds[bad]
    skipping = DATASETS.build(dict(cfg, pipeline=[dict(type='LoadImage', skip_corrupt=True), dict(type='PackInputs')]))
    sample = skipping[bad]  # MMEngine draws another index when the pipeline returns None
    assert int(sample['inputs'].float().mean()) == 7
    assert skipping.pipeline.transforms[0].num_skipped >= 1


def test_lsun_lmdb(tmp_path):
    lmdb = require('lmdb')
    import io

    for cat, value in (('bedroom_train_lmdb', 30), ('church_outdoor_train_lmdb', 90)):
        env = lmdb.open(str(tmp_path / cat), map_size=1 << 24)
        with env.begin(write=True) as txn:
            for i in range(3):
                buf = io.BytesIO()
                Image.fromarray(np.full((8, 8, 3), value + i, np.uint8)).save(buf, format='webp', lossless=True)
                txn.put(f'{i:040x}'.encode(), buf.getvalue())
        env.close()
    ds = DATASETS.build(
        dict(
            type='LSUN',
            data_root=[str(tmp_path / 'bedroom_train_lmdb'), str(tmp_path / 'church_outdoor_train_lmdb')],
            pipeline=PACK,
        )
    )
    assert len(ds) == 6 and ds.metainfo['classes'] == ('bedroom_train', 'church_outdoor_train')
    sample = ds[4]
    assert int(sample['data_samples']['gt_label']) == 1 and int(sample['inputs'].float().mean()) == 91
    with pytest.raises(FileNotFoundError, match='LMDB not found'):
        DATASETS.build(dict(type='LSUN', data_root=str(tmp_path / 'kitchen_lmdb')))


def test_mixed_modes_and_truncated_files_follow_the_config(tmp_path):
    """A folder with RGB, grayscale and RGBA PNGs of different sizes, a truncated JPEG and a non-image: 'color'
    converts every decodable one to HxWx3 (alpha dropped), 'grayscale' to HxW; the broken ones fail naming the file,
    or are skipped and counted with skip_corrupt."""
    import io

    import numpy as np
    from PIL import Image

    from lmdkit.registry import TRANSFORMS

    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (9, 7, 3), dtype=np.uint8)).save(tmp_path / 'rgb.png')
    Image.fromarray(rng.integers(0, 256, (5, 6), dtype=np.uint8)).save(tmp_path / 'gray.png')
    rgba = rng.integers(0, 256, (4, 4, 4), dtype=np.uint8)
    Image.fromarray(rgba, mode='RGBA').save(tmp_path / 'rgba.png')
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(buf, format='JPEG')
    (tmp_path / 'cut.jpg').write_bytes(buf.getvalue()[:40])
    (tmp_path / 'notes.png').write_text('not an image')
    color = TRANSFORMS.build(dict(type='LoadImage', color_type='color'))
    shapes = {
        n: color.transform(dict(img_path=str(tmp_path / n)))['img'].shape for n in ('rgb.png', 'gray.png', 'rgba.png')
    }
    assert shapes == {'rgb.png': (9, 7, 3), 'gray.png': (5, 6, 3), 'rgba.png': (4, 4, 3)}
    out = color.transform(dict(img_path=str(tmp_path / 'rgba.png')))['img']
    assert np.array_equal(out, rgba[..., :3])  # the alpha channel is dropped, the colours kept
    gray = TRANSFORMS.build(dict(type='LoadImage', color_type='grayscale'))
    assert gray.transform(dict(img_path=str(tmp_path / 'rgb.png')))['img'].shape == (9, 7)
    for name in ('cut.jpg', 'notes.png'):
        with pytest.raises(ValueError, match=name):
            color.transform(dict(img_path=str(tmp_path / name)))
    skipping = TRANSFORMS.build(dict(type='LoadImage', skip_corrupt=True))
    assert all(skipping.transform(dict(img_path=str(tmp_path / n))) is None for n in ('cut.jpg', 'notes.png'))
    assert skipping.num_skipped == 2


def test_a_truncated_or_foreign_idx_file_is_named(tmp_path):
    from lmdkit.fileio import CorruptFileError

    path = str(tmp_path / 'train-images-idx3-ubyte.gz')
    write_idx(path, np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28) % 251)
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:  # a download cut off half-way
        f.write(data[: len(data) // 2])
    with pytest.raises(CorruptFileError, match=r'train-images-idx3-ubyte\.gz: corrupt, truncated or not an idx file'):
        read_idx(path)
    plain = str(tmp_path / 'labels-idx1-ubyte')
    write_idx(plain, np.arange(10, dtype=np.uint8))
    with open(plain, 'r+b') as f:
        f.truncate(4 + 4 + 5)  # header + 5 of 10 labels
    with pytest.raises(CorruptFileError, match=r'header says shape \(10,\) but the file holds 5 values'):
        read_idx(plain)


def test_a_folder_of_only_corrupt_images_stops_with_the_count_and_folder(tmp_path):
    from lmdkit.datasets.transforms.loading import CORRUPT_AT_START_LIMIT

    folder = tmp_path / 'broken' / 'class_a'
    folder.mkdir(parents=True)
    for i in range(CORRUPT_AT_START_LIMIT + 5):
        (folder / f'{i:03d}.png').write_bytes(b'not a png')
    skipping = [dict(type='LoadImage', skip_corrupt=True), dict(type='PackInputs')]
    ds = DATASETS.build(dict(type='UnlabeledImageFolder', data_root=str(tmp_path / 'broken'), pipeline=skipping))
    with pytest.raises(RuntimeError, match=rf'the first {CORRUPT_AT_START_LIMIT} images decoded \(under \S*broken'):
        ds[0]
    # after one good image, corrupt files are skipped one by one as before
    save_png(str(folder / 'zz_good.png'), 9)
    ds = DATASETS.build(dict(type='UnlabeledImageFolder', data_root=str(tmp_path / 'broken'), pipeline=skipping))
    assert int(ds[len(ds) - 1]['inputs'].float().mean()) == 9
    for i in range(CORRUPT_AT_START_LIMIT + 5):
        ds.pipeline.transforms[0].transform(dict(img_path=str(folder / f'{i:03d}.png')))  # skipped, no error
    assert ds.pipeline.transforms[0].num_skipped == CORRUPT_AT_START_LIMIT + 5
