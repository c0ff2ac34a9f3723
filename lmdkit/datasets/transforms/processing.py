"""Pixel transforms mmcv 2.2 lacks: random-resized crop and channel expansion."""

import math
from typing import Sequence, Tuple, Union

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform

from lmdkit.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomResizedCrop(BaseTransform):
    """Crop a random area fraction and aspect ratio, then resize to ``scale`` (Inception-style, torchvision's
    algorithm: 10 attempts, then a centre crop clamped to the ratio range). Randomness comes from ``np.random``,
    which MMEngine seeds per worker.

    Args:
        scale: output (h, w) or a single side.
        crop_ratio_range: range of the crop area relative to the image.
        aspect_ratio_range: range of the crop's w/h.
        interpolation: mmcv interpolation name.
    """

    def __init__(
        self,
        scale: Union[int, Sequence[int]],
        crop_ratio_range: Tuple[float, float] = (0.08, 1.0),
        aspect_ratio_range: Tuple[float, float] = (3 / 4, 4 / 3),
        interpolation: str = 'bicubic',
        max_attempts: int = 10,
    ) -> None:
        self.scale = (scale, scale) if isinstance(scale, int) else tuple(scale)
        if not 0 < crop_ratio_range[0] <= crop_ratio_range[1] <= 1:
            raise ValueError(f'crop_ratio_range must satisfy 0 < lo <= hi <= 1, got {crop_ratio_range}')
        self.crop_ratio_range, self.aspect_ratio_range = crop_ratio_range, aspect_ratio_range
        self.interpolation, self.max_attempts = interpolation, max_attempts

    def crop_box(self, height: int, width: int) -> Tuple[int, int, int, int]:
        """(top, left, h, w) of the crop."""
        area = height * width
        log_lo, log_hi = math.log(self.aspect_ratio_range[0]), math.log(self.aspect_ratio_range[1])
        for _ in range(self.max_attempts):
            target = area * np.random.uniform(*self.crop_ratio_range)
            aspect = math.exp(np.random.uniform(log_lo, log_hi))
            w, h = int(round(math.sqrt(target * aspect))), int(round(math.sqrt(target / aspect)))
            if 0 < w <= width and 0 < h <= height:
                return np.random.randint(0, height - h + 1), np.random.randint(0, width - w + 1), h, w
        aspect = width / height  # fallback: largest centre crop within the aspect range
        if aspect < self.aspect_ratio_range[0]:
            w, h = width, int(round(width / self.aspect_ratio_range[0]))
        elif aspect > self.aspect_ratio_range[1]:
            h, w = height, int(round(height * self.aspect_ratio_range[1]))
        else:
            h, w = height, width
        return (height - h) // 2, (width - w) // 2, h, w

    def transform(self, results: dict) -> dict:
        img = results['img']
        top, left, h, w = self.crop_box(*img.shape[:2])
        crop = img[top : top + h, left : left + w]
        results['img'] = mmcv.imresize(crop, self.scale[::-1], interpolation=self.interpolation)
        results['img_shape'] = results['img'].shape[:2]
        return results

    def __repr__(self) -> str:
        return f'RandomResizedCrop(scale={self.scale}, crop_ratio_range={self.crop_ratio_range})'


@TRANSFORMS.register_module()
class ExpandChannels(BaseTransform):
    """Repeat a grayscale image, (H, W) or (H, W, 1), to ``num_channels`` channels (e.g. 3 for RGB backbones)."""

    def __init__(self, num_channels: int = 3) -> None:
        self.num_channels = num_channels

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        if img.shape[-1] == 1:
            img = np.repeat(img, self.num_channels, axis=-1)
        elif img.shape[-1] != self.num_channels:
            raise ValueError(f'ExpandChannels: expected 1 or {self.num_channels} channels, got {img.shape[-1]}')
        results['img'] = np.ascontiguousarray(img)
        return results


@TRANSFORMS.register_module()
class ResizeCenterCrop(BaseTransform):
    """Resize the shorter side to ``size`` and crop the centre ``size`` × ``size``: the deterministic view that
    latent caches store (ADM's ``center_crop_arr``, used by DiT, fast-DiT and LightningDiT: halve with a box filter
    while the image is at least twice the size, then bicubic, so large photos are not aliased).

    Args:
        size: output side.
    """

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f'ResizeCenterCrop: size must be >= 1, got {size}')
        self.size = int(size)

    def transform(self, results: dict) -> dict:
        from PIL import Image

        img = Image.fromarray(results['img'])
        while min(img.size) >= 2 * self.size:
            img = img.resize(tuple(x // 2 for x in img.size), resample=Image.BOX)
        scale = self.size / min(img.size)
        img = img.resize(tuple(round(x * scale) for x in img.size), resample=Image.BICUBIC)
        arr = np.asarray(img)
        top, left = (arr.shape[0] - self.size) // 2, (arr.shape[1] - self.size) // 2
        results['img'] = np.ascontiguousarray(arr[top : top + self.size, left : left + self.size])
        results['img_shape'] = results['img'].shape[:2]
        return results

    def __repr__(self) -> str:
        return f'ResizeCenterCrop(size={self.size})'
