"""Attribute consistency: captioned Fashion-MNIST images agree with their own captions, and with none of the
opposite words."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from lmdkit.datasets.fmnist_captions import ATTRIBUTE_WORDS, read_thresholds, write_fmnist_caption_folder
from lmdkit.evaluation.generative import attribute_consistency, prompted_labels


def _opposite(caption: str) -> str:
    words = caption.split(' ')
    for i, pair in enumerate(ATTRIBUTE_WORDS.values(), 1):
        words[i] = pair[1 - pair.index(words[i])]
    return ' '.join(words)


def test_own_captions_agree_and_opposite_ones_do_not(tmp_path):
    write_fmnist_caption_folder(str(tmp_path), limit=200)
    rows = [json.loads(line) for line in open(tmp_path / 'test' / 'captions.jsonl')]
    images = torch.from_numpy(np.stack([np.array(Image.open(tmp_path / 'test' / r['file_name'])) for r in rows]))
    images = images[:, None]  # (N, 1, 32, 32) uint8, as tools/sample.py writes them
    captions = [r['caption'] for r in rows]
    thresholds = read_thresholds(str(tmp_path))
    own = attribute_consistency(images, captions, thresholds)
    assert own == {'attr-brightness': 1.0, 'attr-area': 1.0, 'attr-texture': 1.0, 'attribute_consistency': 1.0}
    opposite = attribute_consistency(images, [_opposite(c) for c in captions], thresholds)
    assert opposite['attribute_consistency'] == 0.0
    rng = np.random.default_rng(0)
    half = [_opposite(c) if flip else c for c, flip in zip(captions, rng.random(len(captions)) < 0.5)]
    mixed = attribute_consistency(images, half, thresholds)
    flipped = np.array([h != c for h, c in zip(half, captions)])
    assert mixed['attribute_consistency'] == pytest.approx(1.0 - flipped.mean())
    assert prompted_labels(captions).tolist() == [r['label'] for r in rows]
    with pytest.raises(ValueError, match='not of the form'):
        prompted_labels(['a photo of a cat'])
