"""Photometric/geometric policy augmentation for fine-tuning: timm's RandAugment on the pipeline's numpy images."""

from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from lmdkit.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandAugment(BaseTransform):
    """``results['img']`` (H, W[, 3]) uint8 through ``timm.data.rand_augment_transform(policy)``.

    Args:
        policy: timm's config string; MAE fine-tuning uses 'rand-m9-mstd0.5-inc1' (magnitude 9, std 0.5,
            increasing-severity ops).
        fill: fill value of geometric ops (per channel for RGB, the first entry for grayscale).
    """

    def __init__(self, policy: str = 'rand-m9-mstd0.5-inc1', fill: tuple = (124, 116, 104)) -> None:
        self.policy, self.fill = policy, tuple(int(v) for v in fill)
        self._ops: Dict[str, object] = {}

    def _op(self, mode: str):
        """One timm transform per PIL mode: grayscale images need a scalar fill."""
        if mode not in self._ops:
            from timm.data.auto_augment import rand_augment_transform

            fill = self.fill if mode == 'RGB' else self.fill[0]
            # bicubic resampling in geometric ops, as timm's create_transform passes it (MAE)
            self._ops[mode] = rand_augment_transform(self.policy, dict(img_mean=fill, interpolation=Image.BICUBIC))
        return self._ops[mode]

    def transform(self, results: dict) -> dict:
        img = results['img']
        squeeze = img.ndim == 3 and img.shape[2] == 1
        pil = Image.fromarray(img[..., 0] if squeeze else img)
        out = np.asarray(self._op(pil.mode)(pil))
        results['img'] = out[..., None] if squeeze else out
        return results

    def __repr__(self) -> str:
        return f'RandAugment(policy={self.policy!r})'
