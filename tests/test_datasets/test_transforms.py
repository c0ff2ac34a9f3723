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
