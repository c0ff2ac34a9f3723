"""An ImageNet-layout folder of photograph-like JPEGs made offline, to rehearse the real-scale commands.

Fashion-MNIST items are enlarged, colourised and composited onto textured backgrounds at ImageNet's usual sizes
(300–500 px a side), saved as RGB JPEGs under ``train/<wnid>/`` and ``val/<wnid>/`` with ``meta/train.txt`` and
``meta/val.txt`` lists, plus the oddities real ImageNet has: grayscale and CMYK JPEGs, a PNG under a ``.JPEG`` name
and one truncated file.
"""

import io
import os
import os.path as osp
from typing import Dict, Optional, Tuple

import numpy as np
from PIL import Image, ImageFilter

#: one made-up WordNet id per Fashion-MNIST class (the layout only needs distinct, sortable names)
WNIDS = tuple(f'n0{1440764 + 1013 * k:07d}' for k in range(10))


def _background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A smooth two-colour gradient with blurred noise texture, (H, W, 3) uint8."""
    a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    t = (np.cos(angle) * xx / width + np.sin(angle) * yy / height + 1.0) / 2.0
    img = a[None, None] * (1 - t[..., None]) + b[None, None] * t[..., None]
    noise = rng.normal(0, rng.uniform(5, 25), (height // 8 + 1, width // 8 + 1, 3))
    noise = Image.fromarray(np.clip(noise + 128, 0, 255).astype(np.uint8))
    noise = np.asarray(noise.resize((width, height), Image.BICUBIC))
    return np.clip(img + noise.astype(np.float32) - 128, 0, 255).astype(np.uint8)


def compose_photo(item: np.ndarray, rng: np.random.Generator, sides: Tuple[int, int] = (300, 500)) -> Image.Image:
    """One photograph-like RGB image of a 28×28 Fashion-MNIST ``item``, each side drawn from ``sides``."""
    width, height = (int(v) for v in rng.integers(sides[0], sides[1] + 1, 2))
    canvas = _background(rng, height, width)
    side = int(min(height, width) * rng.uniform(0.4, 0.9))
    mask = Image.fromarray(item).resize((side, side), Image.BICUBIC).filter(ImageFilter.GaussianBlur(1))
    alpha = np.asarray(mask, dtype=np.float32)[..., None] / 255.0
    colour = rng.integers(30, 256, 3).astype(np.float32)
    shade = 0.6 + 0.4 * alpha  # the item's own intensity shades the colour
    top, left = int(rng.integers(0, height - side + 1)), int(rng.integers(0, width - side + 1))
    patch = canvas[top : top + side, left : left + side].astype(np.float32)
    canvas[top : top + side, left : left + side] = (patch * (1 - alpha) + colour * shade * alpha).astype(np.uint8)
    return Image.fromarray(canvas)


def _load_items(fmnist_root: Optional[str]) -> Dict[str, tuple]:
    """Fashion-MNIST images and labels per split: the full set from ``fmnist_root`` or the embedded subset."""
    if fmnist_root:
        from .fashion_mnist import FashionMNIST

        out = {}
        for split in ('train', 'test'):
            ds = FashionMNIST(data_root=fmnist_root, split=split)
            infos = [ds.get_data_info(i) for i in range(len(ds))]
            out[split] = (np.stack([d['img'] for d in infos]), np.array([d['gt_label'] for d in infos]))
        return out
    from .fashion_mnist import EMBEDDED_FILE

    with np.load(EMBEDDED_FILE) as data:
        return {s: (data[f'{s}_images'], data[f'{s}_labels']) for s in ('train', 'test')}


def make_imagenet_rehearsal(
    root: str,
    train_per_class: int = 20,
    val_per_class: int = 5,
    num_classes: int = 10,
    seed: int = 0,
    fmnist_root: Optional[str] = None,
    sides: Tuple[int, int] = (300, 500),
) -> dict:
    """Write the rehearsal set under ``root`` and return what it holds (counts and the odd files' paths). Image
    sides are drawn from ``sides`` (ImageNet's usual 300–500 px by default).

    Oddities (in train, in file-list order, all among the first 8 so a subset keeps them): the second image a PNG
    under a ``.JPEG`` name, the third truncated to half its bytes, every 9th from the fourth grayscale (val too),
    every 13th from the sixth CMYK.
    """
    if not 1 <= num_classes <= len(WNIDS):
        raise ValueError(f'num_classes must be in [1, {len(WNIDS)}], got {num_classes}')
    if train_per_class * num_classes < 7:
        raise ValueError('the odd files need at least 7 train images (train_per_class x num_classes)')
    rng = np.random.default_rng(seed)
    items = _load_items(fmnist_root)
    lists: Dict[str, list] = {'train': [], 'val': []}
    odd = dict(grayscale=[], cmyk=[], png_named_jpeg=[], truncated=[])
    os.makedirs(osp.join(root, 'meta'), exist_ok=True)
    counter = 0
    for split, per_class, source, prefix in (('train', train_per_class, 'train', ''),
                                            ('val', val_per_class, 'test', 'ILSVRC2012_val_')):  # fmt: skip
        images, labels = items[source]
        for label in range(num_classes):
            wnid = WNIDS[label]
            folder = osp.join(root, split, wnid)
            os.makedirs(folder, exist_ok=True)
            pool = np.flatnonzero(labels == label)
            for k, idx in enumerate(rng.choice(pool, per_class, replace=len(pool) < per_class)):
                counter += 1
                name = f'{prefix}{counter:08d}.JPEG' if prefix else f'{wnid}_{k}.JPEG'
                rel = f'{wnid}/{name}'
                photo = compose_photo(images[idx], rng, sides)
                path = osp.join(folder, name)
                quality = int(rng.integers(75, 96))
                t = counter - 1  # position among the train images (val images follow them)
                buf = io.BytesIO()
                if split == 'train' and t == 1:
                    photo.save(buf, format='PNG')
                    odd['png_named_jpeg'].append(rel)
                elif split == 'train' and t % 13 == 5:
                    photo.convert('CMYK').save(buf, format='JPEG', quality=quality)
                    odd['cmyk'].append(rel)
                elif t % 9 == 3:
                    photo.convert('L').save(buf, format='JPEG', quality=quality)
                    odd['grayscale'].append(rel)
                else:
                    photo.save(buf, format='JPEG', quality=quality)
                data = buf.getvalue()
                if split == 'train' and t == 2:  # cut off mid-scan, as a failed download leaves a file
                    data = data[: len(data) // 2]
                    odd['truncated'].append(rel)
                with open(path, 'wb') as f:
                    f.write(data)
                lists[split].append(f'{rel} {label}')
    for split, lines in lists.items():
        with open(osp.join(root, 'meta', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
    return dict(root=root, train=len(lists['train']), val=len(lists['val']), classes=num_classes, odd=odd)
