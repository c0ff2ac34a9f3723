"""Packing a sample into the ``inputs`` / ``data_samples`` dict the data preprocessor expects."""

from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from lmdkit.registry import TRANSFORMS


def _meta_value(value):
    return value if isinstance(value, str) else torch.as_tensor(value)


@TRANSFORMS.register_module()
class PackInputs(BaseTransform):
    """``img`` (H, W[, C]) uint8 -> ``inputs`` (C, H, W) uint8 tensor; ``meta_keys`` -> ``data_samples`` dict.

    Batches are collated with ``default_collate``: ``inputs`` (B, C, H, W) and ``data_samples`` a dict of (B,)
    tensors (``gt_label``, ``sample_idx``); text values (``caption``) stay str, collated into a list of B strings.
    Missing keys are filled with -1.
    """

    def __init__(self, meta_keys: Sequence[str] = ('gt_label', 'sample_idx')) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))  # (C, H, W)
        samples = {key: _meta_value(results.get(key, -1)) for key in self.meta_keys}
        return dict(inputs=inputs, data_samples=samples)

    def __repr__(self) -> str:
        return f'PackInputs(meta_keys={self.meta_keys})'
