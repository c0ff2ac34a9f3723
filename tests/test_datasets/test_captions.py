"""Caption datasets: img2dataset tar shards, COCO captions, folder + captions.jsonl; bad input skipped or raised."""

import io
import json
import os.path as osp
import tarfile

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import default_collate

from lmdkit.registry import DATASETS

PIPELINE = [dict(type='LoadImage'), dict(type='PackInputs', meta_keys=('caption', 'sample_idx'))]


def _png(value: int, size: int = 8) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.full((size, size, 3), value, np.uint8)).save(buf, format='PNG')
    return buf.getvalue()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _shard(path, samples) -> None:
    """samples: (key, image value or None, caption bytes or None)."""
    with tarfile.open(path, 'w', format=tarfile.USTAR_FORMAT) as tar:
        for key, value, caption in samples:
            if value is not None:
                _add(tar, f'{key}.jpg', _png(value))  # img2dataset names them .jpg; the decoder reads the bytes
            if caption is not None:
                _add(tar, f'{key}.txt', caption)
            _add(tar, f'{key}.json', json.dumps({'key': key}).encode())


def test_tar_shards_serve_images_and_captions_by_offset(tmp_path):
    _shard(tmp_path / '00000.tar', [('000000000', 10, b'a red shirt'), ('000000001', 20, b' a blue bag \n')])
    _shard(tmp_path / '00001.tar', [('000010000', 30, 'une robe d\u00e9lav\u00e9e'.encode())])
    ds = DATASETS.build(dict(type='CaptionTarShards', data_root=str(tmp_path), pipeline=PIPELINE))
    assert len(ds) == 3 and not ds.skipped
    batch = default_collate([ds[i] for i in range(3)])
    assert batch['data_samples']['caption'] == ['a red shirt', 'a blue bag', 'une robe d\u00e9lav\u00e9e']
    assert batch['inputs'].shape == (3, 3, 8, 8)
    assert batch['inputs'][:, 0, 0, 0].tolist() == [10, 20, 30]  # each image is its own sample's
    only = DATASETS.build(dict(type='CaptionTarShards', data_root=str(tmp_path), shards='00001.tar', pipeline=PIPELINE))
    assert len(only) == 1


def test_tar_shards_count_bad_samples_or_raise_naming_them(tmp_path):
    _shard(tmp_path / '00000.tar', [
        ('0', 10, b'good'), ('1', 20, b'   '), ('2', 30, b'\xff\xfe bad'), ('3', None, b'no image'), ('4', 40, None),
    ])  # fmt: skip
    ds = DATASETS.build(dict(type='CaptionTarShards', data_root=str(tmp_path), pipeline=PIPELINE))
    assert len(ds) == 1 and ds[0]['data_samples']['caption'] == 'good'
    assert dict(ds.skipped) == {'empty caption': 1, 'non-UTF-8 caption': 1, 'missing image': 1, 'missing caption': 1}
    with pytest.raises(ValueError, match=r'00000.tar:1: empty caption'):
        DATASETS.build(dict(type='CaptionTarShards', data_root=str(tmp_path), on_bad='raise'))


@pytest.mark.parametrize('cut', ['in_data', 'in_header', 'on_a_block_boundary', 'in_the_json'])
def test_a_truncated_shard_keeps_its_complete_samples(tmp_path, cut):
    path = tmp_path / '00000.tar'
    _shard(path, [('0', 10, b'first'), ('1', 20, b'second'), ('2', 30, b'third')])
    with tarfile.open(path) as tar:
        image, meta = tar.getmember('2.jpg'), tar.getmember('2.json')
    data = path.read_bytes()
    # inside the last image's data, inside the header of the last caption, right after the last image's padded
    # data (no partial header left), or inside the last sample's .json (its image and caption are whole)
    at = dict(in_data=image.offset_data + 10, in_header=image.offset_data + 512 + 100,
              on_a_block_boundary=image.offset_data + 512, in_the_json=meta.offset_data + 5)[cut]  # fmt: skip
    path.write_bytes(data[:at])
    ds = DATASETS.build(dict(type='CaptionTarShards', data_root=str(tmp_path), pipeline=PIPELINE))
    kept = ['first', 'second', 'third'] if cut == 'in_the_json' else ['first', 'second']
    assert [ds[i]['data_samples']['caption'] for i in range(len(ds))] == kept
    assert dict(ds.skipped) == ({} if cut == 'in_the_json' else {'truncated tar': 1})


def test_tar_shards_missing_or_unreadable(tmp_path):
    with pytest.raises(FileNotFoundError, match='no shards matching'):
        DATASETS.build(dict(type='CaptionTarShards', data_root=str(tmp_path)))
    (tmp_path / '00000.tar').write_bytes(b'not a tar at all' * 64)
    with pytest.raises(ValueError, match='00000.tar is not a readable tar'):
        DATASETS.build(dict(type='CaptionTarShards', data_root=str(tmp_path)))


def _coco(tmp_path):
    (tmp_path / 'val2017').mkdir()
    for i, value in ((1, 50), (2, 60)):
        (tmp_path / 'val2017' / f'{i:012d}.jpg').write_bytes(_png(value))
    images = [dict(id=i, file_name=f'{i:012d}.jpg') for i in (1, 2, 3)]  # image 3 is missing on disk
    annotations = [dict(id=10, image_id=1, caption='A cat. '), dict(id=11, image_id=1, caption='a small cat'),
                   dict(id=12, image_id=2, caption='a dog'), dict(id=13, image_id=2, caption=''),
                   dict(id=14, image_id=3, caption='gone')]  # fmt: skip
    ann = tmp_path / 'captions_val2017.json'
    ann.write_text(json.dumps(dict(images=images, annotations=annotations)))
    return str(ann)


def test_coco_captions_every_caption_or_one_drawn(tmp_path):
    ann = _coco(tmp_path)
    base = dict(type='CocoCaptions', data_root=str(tmp_path), ann_file=ann, img_prefix='val2017', pipeline=PIPELINE)
    every = DATASETS.build({**base, 'caption_mode': 'all'})
    assert [every[i]['data_samples']['caption'] for i in range(len(every))] == ['A cat.', 'a small cat', 'a dog']
    assert dict(every.skipped) == {'empty caption': 1, 'missing image': 1}
    assert every[2]['inputs'][0, 0, 0] == 60
    drawn = DATASETS.build(base)
    assert len(drawn) == 2
    np.random.seed(0)
    seen = {drawn[0]['data_samples']['caption'] for _ in range(40)}
    assert seen == {'A cat.', 'a small cat'}
    first = DATASETS.build({**base, 'caption_mode': 'first'})
    assert {first[0]['data_samples']['caption'] for _ in range(10)} == {'A cat.'}
    with pytest.raises(ValueError, match='annotation 13: empty caption'):
        DATASETS.build({**base, 'on_bad': 'raise'})


def test_caption_folder_jsonl(tmp_path):
    (tmp_path / 'a').mkdir()
    (tmp_path / 'a' / 'x.png').write_bytes(_png(70))
    (tmp_path / 'y.png').write_bytes(_png(80))
    lines = [json.dumps(dict(file_name='a/x.png', caption='a shoe')).encode(),
             json.dumps(dict(file_name='y.png', caption=['a boot', 'footwear'])).encode(),
             json.dumps(dict(file_name='z.png', caption='no file')).encode(),
             b'{"file_name": "y.png", "caption": "\xff"}', b'']  # fmt: skip
    (tmp_path / 'captions.jsonl').write_bytes(b'\n'.join(lines))
    ds = DATASETS.build(dict(type='CaptionFolder', data_root=str(tmp_path), caption_mode='all', pipeline=PIPELINE))
    assert [ds[i]['data_samples']['caption'] for i in range(len(ds))] == ['a shoe', 'a boot', 'footwear']
    assert dict(ds.skipped) == {'missing image': 1, 'non-UTF-8 caption': 1}
    assert torch.equal(ds[1]['inputs'], ds[2]['inputs'])
    (tmp_path / 'bad.jsonl').write_text('{"caption": "no file name"}\n')
    with pytest.raises(ValueError, match=r'bad.jsonl:1: expected \{"file_name"'):
        DATASETS.build(dict(type='CaptionFolder', data_root=str(tmp_path), ann_file='bad.jsonl'))
    with pytest.raises(FileNotFoundError, match='write one JSON object per line'):
        DATASETS.build(dict(type='CaptionFolder', data_root=str(tmp_path), ann_file='none.jsonl'))


def test_nothing_usable_says_what_was_skipped(tmp_path):
    _shard(tmp_path / '00000.tar', [('0', 10, b'')])
    with pytest.raises(FileNotFoundError, match=r"no usable image-caption pairs .*'empty caption': 1"):
        DATASETS.build(dict(type='CaptionTarShards', data_root=str(tmp_path)))
    assert osp.isfile(tmp_path / '00000.tar')
