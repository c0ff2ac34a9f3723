"""Captions for Fashion-MNIST from what each image shows: its class and three attributes measured on the pixels
(brightness, size, texture), so that the same functions applied to a generated image say whether it matches its
prompt (the text-to-image analogue of LMD's Table 4 that runs on a CPU).

    a light large patterned pullover      a dark small plain sandal

Each attribute is split at its median within the class (measured on the training images, stored beside the
captions), so every word is balanced and independent of the class word.
"""

import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import mmcv
import numpy as np
from PIL import Image

from .fashion_mnist import FMNIST_CLASSES, EmbeddedFashionMNIST, FashionMNIST

#: the attributes and their (below-median, above-median) words
ATTRIBUTE_WORDS: Dict[str, Sequence[str]] = {
    'brightness': ('dark', 'light'),
    'area': ('small', 'large'),
    'texture': ('plain', 'patterned'),
}
CLASS_WORDS = tuple(name.lower().replace('t-shirt/top', 't-shirt') for name in FMNIST_CLASSES)
GARMENT_LEVEL = 25  # grey level above which a pixel is garment, not background (Fashion-MNIST's is 0)
THRESHOLDS_FILE = 'attributes.json'


def garment_attributes(images: np.ndarray) -> Dict[str, np.ndarray]:
    """(N, H, W) uint8 images -> per image: ``brightness`` (mean grey level of the garment pixels), ``area``
    (share of the image that is garment) and ``texture`` (mean absolute 4-neighbour Laplacian over the garment's
    interior, relative to its brightness: stripes and prints score high, flat fabric low)."""
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 4 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 3:
        raise ValueError(f'garment_attributes takes (N, H, W) grey images, got shape {x.shape}')
    garment = x > GARMENT_LEVEL  # (N, H, W)
    count = garment.sum((1, 2)).clip(min=1)
    brightness = (x * garment).sum((1, 2)) / count
    lap = np.abs(4 * x[:, 1:-1, 1:-1] - x[:, :-2, 1:-1] - x[:, 2:, 1:-1] - x[:, 1:-1, :-2] - x[:, 1:-1, 2:])
    inner = garment[:, 1:-1, 1:-1]
    texture = (lap * inner).sum((1, 2)) / inner.sum((1, 2)).clip(min=1) / brightness.clip(min=1)
    return dict(brightness=brightness, area=garment.mean((1, 2)), texture=texture)


def measure_thresholds(images: np.ndarray, labels: np.ndarray) -> Dict[str, List[float]]:
    """Per attribute, the median of each class (10 values): the split between its two words."""
    values = garment_attributes(images)
    labels = np.asarray(labels)
    missing = sorted(set(range(len(CLASS_WORDS))) - set(labels.tolist()))
    if missing:
        raise ValueError(f'measure_thresholds needs images of every class; none of {missing}')
    return {name: [float(np.median(v[labels == c])) for c in range(len(CLASS_WORDS))] for name, v in values.items()}


def attribute_words(
    images: np.ndarray, labels: np.ndarray, thresholds: Dict[str, List[float]]
) -> Dict[str, np.ndarray]:
    """Per attribute, (N,) 0/1: whether each image is above its class's median (the second word)."""
    values = garment_attributes(images)
    labels = np.asarray(labels)
    return {name: (values[name] > np.asarray(thresholds[name])[labels]).astype(np.int64) for name in ATTRIBUTE_WORDS}


def caption(label: int, words: Dict[str, int]) -> str:
    """'a light large patterned pullover' from a class index and each attribute's 0/1."""
    adjectives = [ATTRIBUTE_WORDS[name][int(words[name])] for name in ATTRIBUTE_WORDS]
    return ' '.join(['a', *adjectives, CLASS_WORDS[label]])


def parse_caption(text: str) -> Optional[Dict[str, int]]:
    """``caption``'s inverse: the class index and each attribute's 0/1, or None for another sentence."""
    parts = text.split(' ', 4)
    if len(parts) != 5 or parts[0] != 'a' or parts[4] not in CLASS_WORDS:
        return None
    out = {'label': CLASS_WORDS.index(parts[4])}
    for name, word in zip(ATTRIBUTE_WORDS, parts[1:4]):
        if word not in ATTRIBUTE_WORDS[name]:
            return None
        out[name] = ATTRIBUTE_WORDS[name].index(word)
    return out


def _fmnist_arrays(split: str, fmnist_root: Optional[str]) -> tuple:
    """(N, 28, 28) uint8 images and (N,) labels of the embedded subset or of the idx files in ``fmnist_root``."""
    data = EmbeddedFashionMNIST(split=split) if fmnist_root is None else FashionMNIST(fmnist_root, split=split)
    records = [data.get_data_info(i) for i in range(len(data))]
    return np.stack([r['img'] for r in records]), np.array([r['gt_label'] for r in records])


def resize_32(images: np.ndarray) -> np.ndarray:
    """28 -> 32 px as the Fashion-MNIST configs do (bicubic, mmcv), clipped to uint8."""
    return np.stack([mmcv.imresize(img, (32, 32), interpolation='bicubic') for img in images])


def write_fmnist_caption_folder(out: str, fmnist_root: Optional[str] = None,
                                limit: Optional[int] = None) -> Dict[str, int]:  # fmt: skip
    """Write ``out/{train,test}/`` of 32-px PNGs, each with ``captions.jsonl`` (``CaptionFolder``'s format; the
    class index as ``label`` too), and ``out/attributes.json``: the thresholds, measured on the training images.

    ``fmnist_root``: the idx files of full Fashion-MNIST (default: the embedded 2,000 / 500 subset). ``limit``
    keeps the first images of each split (tests)."""
    os.makedirs(out, exist_ok=True)
    counts = {}
    thresholds = None
    for split in ('train', 'test'):
        images, labels = _fmnist_arrays(split, fmnist_root)
        images, labels = resize_32(images[:limit]), np.asarray(labels[:limit])
        if thresholds is None:
            thresholds = measure_thresholds(images, labels)
        words = attribute_words(images, labels, thresholds)
        folder = osp.join(out, split)
        os.makedirs(folder, exist_ok=True)
        with open(osp.join(folder, 'captions.jsonl'), 'w') as f:
            for i, (img, label) in enumerate(zip(images, labels)):
                name = f'{i:05d}.png'
                Image.fromarray(img).save(osp.join(folder, name))
                text = caption(int(label), {k: v[i] for k, v in words.items()})
                f.write(json.dumps(dict(file_name=name, caption=text, label=int(label))) + '\n')
        counts[split] = len(images)
    with open(osp.join(out, THRESHOLDS_FILE), 'w') as f:
        json.dump(dict(garment_level=GARMENT_LEVEL, class_words=CLASS_WORDS, thresholds=thresholds), f, indent=1)
    return counts


def read_thresholds(folder: str) -> Dict[str, List[float]]:
    """The thresholds ``write_fmnist_caption_folder`` stored in ``folder`` (or its parent)."""
    for path in (osp.join(folder, THRESHOLDS_FILE), osp.join(osp.dirname(osp.normpath(folder)), THRESHOLDS_FILE)):
        if osp.isfile(path):
            with open(path) as f:
                return json.load(f)['thresholds']
    raise FileNotFoundError(f'no {THRESHOLDS_FILE} in {folder} or its parent: write the captioned set with '
                            'python tools/data/make_fmnist_captions.py OUT')  # fmt: skip
