"""Captioned Fashion-MNIST: the attribute measurements against scipy, captions that the same functions read back
from the written images, and the CaptionFolder that serves them."""

import json

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from lmdkit.datasets.fmnist_captions import (
    GARMENT_LEVEL,
    attribute_words,
    caption,
    garment_attributes,
    parse_caption,
    read_thresholds,
    write_fmnist_caption_folder,
)
from lmdkit.registry import DATASETS


def test_attributes_against_an_independent_computation():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (4, 16, 16)).astype(np.uint8)
    images[:, :3] = 0  # some background
    values = garment_attributes(images)
    for i, img in enumerate(images.astype(np.float64)):
        garment = img > GARMENT_LEVEL
        assert values['brightness'][i] == pytest.approx(img[garment].mean(), rel=1e-5)
        assert values['area'][i] == pytest.approx(garment.mean())
        lap = np.abs(ndimage.convolve(img, [[0, -1, 0], [-1, 4, -1], [0, -1, 0]], mode='constant'))[1:-1, 1:-1]
        inner = garment[1:-1, 1:-1]
        ref = lap[inner].mean() / img[garment].mean()
        assert values['texture'][i] == pytest.approx(ref, rel=1e-5)


def test_the_words_follow_the_pixels():
    flat = np.zeros((1, 32, 32), np.uint8)
    flat[0, 8:24, 8:24] = 120
    striped = flat.copy()
    striped[0, 8:24:2, 8:24] = 240
    big_bright = np.zeros((1, 32, 32), np.uint8)
    big_bright[0, 2:30, 2:30] = 250
    values = {k: v for k, v in garment_attributes(np.concatenate([flat, striped, big_bright])).items()}
    assert values['texture'][1] > 4 * values['texture'][0]  # the flat square's texture is its edges only
    assert values['area'][2] > values['area'][0] and values['brightness'][2] > values['brightness'][0]
    thresholds = {name: [float(np.median(v))] * 10 for name, v in values.items()}
    words = attribute_words(np.concatenate([flat, striped, big_bright]), np.zeros(3, int), thresholds)
    assert caption(0, {k: v[2] for k, v in words.items()}) == 'a light large plain t-shirt'
    assert parse_caption('a dark small patterned ankle boot') == dict(label=9, brightness=0, area=0, texture=1)
    assert parse_caption('a red small patterned ankle boot') is None and parse_caption('hello') is None


def test_written_captions_are_what_the_images_show(tmp_path):
    counts = write_fmnist_caption_folder(str(tmp_path), limit=300)
    assert counts == {'train': 300, 'test': 300}
    thresholds = read_thresholds(str(tmp_path / 'test'))
    for split in ('train', 'test'):
        rows = [json.loads(line) for line in open(tmp_path / split / 'captions.jsonl')]
        images = np.stack([np.array(Image.open(tmp_path / split / r['file_name'])) for r in rows])
        assert images.shape == (300, 32, 32) and images.dtype == np.uint8
        labels = np.array([r['label'] for r in rows])
        words = attribute_words(images, labels, thresholds)  # re-measured on the saved PNGs
        parsed = [parse_caption(r['caption']) for r in rows]
        assert [p['label'] for p in parsed] == labels.tolist()
        for name, v in words.items():
            assert [p[name] for p in parsed] == v.tolist()
            if split == 'train':  # split at the class medians: each word about half of the images
                assert 0.4 < v.mean() < 0.6
    ds = DATASETS.build(dict(type='CaptionFolder', data_root=str(tmp_path / 'train'), pipeline=[
        dict(type='LoadImage', color_type='grayscale'), dict(type='PackInputs', meta_keys=('caption',))]))  # fmt: skip
    assert len(ds) == 300 and ds[0]['inputs'].shape == (1, 32, 32)
    assert parse_caption(ds[0]['data_samples']['caption']) is not None
    with pytest.raises(FileNotFoundError, match='make_fmnist_captions.py'):
        read_thresholds(str(tmp_path / 'train' / 'nowhere'))
