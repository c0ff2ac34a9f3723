"""Transforms: random-resized crop geometry, channel expansion, packing, and the quick-start pipeline."""

import numpy as np
import pytest

from lmdkit.registry import DATASETS, TRANSFORMS


def test_random_resized_crop_output_and_box_bounds():
    t = TRANSFORMS.build(dict(type='RandomResizedCrop', scale=16, crop_ratio_range=(0.2, 1.0)))
    np.random.seed(0)
    img = np.random.randint(0, 255, (40, 30, 3), np.uint8)
    for _ in range(50):
        top, left, h, w = t.crop_box(40, 30)
        assert 0 <= top and top + h <= 40 and 0 <= left and left + w <= 30
        assert 0.2 * 1200 * 0.7 <= h * w <= 1200  # area within range (rounding slack)
    out = t(dict(img=img))
    assert out['img'].shape == (16, 16, 3) and out['img_shape'] == (16, 16)


def test_random_resized_crop_full_range_is_identity_crop():
    t = TRANSFORMS.build(
        dict(type='RandomResizedCrop', scale=(8, 8), crop_ratio_range=(1.0, 1.0), aspect_ratio_range=(1.0, 1.0))
    )
    img = np.arange(64, dtype=np.uint8).reshape(8, 8)
    np.testing.assert_array_equal(t(dict(img=img))['img'], img)


def test_expand_channels():
    t = TRANSFORMS.build(dict(type='ExpandChannels', num_channels=3))
    img = np.arange(12, dtype=np.uint8).reshape(3, 4)
    out = t(dict(img=img))['img']
    assert out.shape == (3, 4, 3) and all((out[..., c] == img).all() for c in range(3))
    with pytest.raises(ValueError, match='channels'):
        t(dict(img=np.zeros((2, 2, 2), np.uint8)))


def test_quick_start_pipeline_resizes_to_32_and_flips():
    ds = DATASETS.build(
        dict(
            type='EmbeddedFashionMNIST',
            split='train',
            pipeline=[
                dict(type='Resize', scale=(32, 32), keep_ratio=False),
                dict(type='RandomFlip', prob=1.0, direction='horizontal'),
                dict(type='ExpandChannels', num_channels=3),
                dict(type='PackInputs'),
            ],
        )
    )
    sample = ds[0]
    assert tuple(sample['inputs'].shape) == (3, 32, 32) and sample['inputs'].dtype.is_floating_point is False


def test_resize_center_crop_is_adm_center_crop_arr():
    """Against an independent restatement of ADM's center_crop_arr (guided-diffusion/image_datasets.py)."""
    from PIL import Image

    from lmdkit.registry import TRANSFORMS

    rng = np.random.default_rng(0)
    for h, w in ((375, 500), (500, 333), (100, 60), (224, 224)):
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        out = TRANSFORMS.build(dict(type='ResizeCenterCrop', size=56)).transform(dict(img=img))['img']
        pil = Image.fromarray(img)
        while min(*pil.size) >= 2 * 56:
            pil = pil.resize(tuple(x // 2 for x in pil.size), resample=Image.BOX)
        s = 56 / min(*pil.size)
        arr = np.array(pil.resize(tuple(round(x * s) for x in pil.size), resample=Image.BICUBIC))
        y, x = (arr.shape[0] - 56) // 2, (arr.shape[1] - 56) // 2
        assert out.shape == (56, 56, 3) and np.array_equal(out, arr[y : y + 56, x : x + 56])


def test_load_random_resized_crop_draws_the_same_box_and_decodes_less(tmp_path, monkeypatch):
    """Same random box as RandomResizedCrop; JPEGs decode at a reduced scale when the box allows, and the result
    stays close to full decoding; truncated files raise or are skipped, CMYK and PNG-named files decode."""
    import io

    from PIL import Image

    from lmdkit.registry import TRANSFORMS

    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:480, 0:640]
    smooth = np.stack([(xx * 0.4) % 256, (yy * 0.5) % 256, (xx + yy) * 0.2 % 256], -1).astype(np.uint8)
    Image.fromarray(smooth).save(tmp_path / 'a.jpg', quality=95)
    fused = TRANSFORMS.build(dict(type='LoadRandomResizedCrop', scale=64, crop_ratio_range=(0.5, 1.0)))
    load = TRANSFORMS.build(dict(type='LoadImage', backend='pillow'))
    crop = TRANSFORMS.build(dict(type='RandomResizedCrop', scale=64, crop_ratio_range=(0.5, 1.0)))
    import cv2

    drafts = []
    original = cv2.imdecode

    def imdecode(buf, flag):
        img = original(buf, flag)
        drafts.append(img.shape[:2])
        return img

    monkeypatch.setattr(cv2, 'imdecode', imdecode)
    for seed in range(5):
        np.random.seed(seed)
        a = fused.transform(dict(img_path=str(tmp_path / 'a.jpg')))['img']
        np.random.seed(seed)
        b = crop.transform(load.transform(dict(img_path=str(tmp_path / 'a.jpg'))))['img']
        assert a.shape == b.shape == (64, 64, 3)
        assert np.abs(a.astype(int) - b.astype(int)).mean() < 6  # same box; DCT-scaled decode vs full decode
    # a 640x480 JPEG cropped (at least half its area) to 64 px decodes at 1/2, 1/4 or 1/8 scale
    assert len(drafts) == 5 and all(size in ((240, 320), (120, 160), (60, 80)) for size in drafts), drafts
    assert any(size != (240, 320) for size in drafts)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(buf, format='JPEG')
    (tmp_path / 'cut.jpg').write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(ValueError, match='cut.jpg'):
        fused.transform(dict(img_path=str(tmp_path / 'cut.jpg')))
    skipping = TRANSFORMS.build(dict(type='LoadRandomResizedCrop', scale=64, skip_corrupt=True))
    assert skipping.transform(dict(img_path=str(tmp_path / 'cut.jpg'))) is None and skipping.num_skipped == 1
    Image.fromarray(rng.integers(0, 256, (50, 70), dtype=np.uint8)).convert('CMYK').save(tmp_path / 'c.jpg')
    Image.fromarray(rng.integers(0, 256, (50, 70, 3), dtype=np.uint8)).save(tmp_path / 'p.jpg', format='PNG')
    for name in ('c.jpg', 'p.jpg'):
        assert fused.transform(dict(img_path=str(tmp_path / name)))['img'].shape == (64, 64, 3)
    # OpenCV would decode the cut JPEG silently: LoadImage hands JPEGs without an end marker to Pillow
    with pytest.raises(ValueError, match='truncated'):
        load_cv2 = TRANSFORMS.build(dict(type='LoadImage'))
        load_cv2.transform(dict(img_path=str(tmp_path / 'cut.jpg')))


def test_rehearsal_set_has_imagenet_layout_and_odd_files(tmp_path):
    from PIL import Image

    from lmdkit.datasets.rehearsal import make_imagenet_rehearsal
    from lmdkit.registry import DATASETS

    info = make_imagenet_rehearsal(str(tmp_path), train_per_class=3, val_per_class=1, num_classes=4)
    assert (info['train'], info['val']) == (12, 4)
    train = DATASETS.build(dict(type='ImageNet', data_root=str(tmp_path), split='train'))
    val = DATASETS.build(dict(type='ImageNet', data_root=str(tmp_path), split='val', ann_file='meta/val.txt'))
    assert len(train) == 12 and len(val) == 4 and len(train.metainfo['classes']) == 4
    modes = {}
    for line in open(tmp_path / 'meta' / 'train.txt'):
        rel = line.split()[0]
        if rel in info['odd']['truncated']:
            with pytest.raises(OSError):
                Image.open(tmp_path / 'train' / rel).load()
            continue
        with Image.open(tmp_path / 'train' / rel) as im:
            modes[rel] = (im.format, im.mode)
            assert 300 <= min(im.size) and max(im.size) <= 500
    assert modes[info['odd']['png_named_jpeg'][0]][0] == 'PNG'
    assert all(modes[r] == ('JPEG', 'L') for r in info['odd']['grayscale'] if r in modes)
    assert all(modes[r] == ('JPEG', 'CMYK') for r in info['odd']['cmyk'])
    assert info['odd']['grayscale'] and info['odd']['cmyk']
