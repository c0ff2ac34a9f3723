"""Linear classification heads: fine-tuning (linear layer) and linear probing (BatchNorm without affine + linear)."""

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from lmdkit.registry import MODELS

from ..example import ComponentExample, example_noise, weighted_mean


@MODELS.register_module()
class LinearClsHead(BaseModule):
    """(B, D) features -> (B, num_classes) logits.

    Args:
        in_channels: feature width.
        num_classes: number of classes.
        batch_norm: put a ``BatchNorm1d(affine=False, eps=1e-6)`` before the linear layer, as MAE's linear probe does
            (features of a frozen encoder have very different scales per channel).
        init_std: std of the truncated-normal weight init (MAE: 2e-5 fine-tuning, 0.01 linear probe).
        dropout: dropout on the features before the linear layer.
    """

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny LinearClsHead and its objective (``lmdkit.models.example``; the registry-wide test)."""
        return ComponentExample(
            cfg=dict(type='LinearClsHead', in_channels=8, num_classes=3, batch_norm=True),
            objective=lambda m: weighted_mean(m(example_noise(4, 8))),
        )

    def __init__(self, in_channels: int, num_classes: int, batch_norm: bool = False, init_std: float = 2e-5,
                 dropout: float = 0.0, init_cfg=None) -> None:  # fmt: skip
        super().__init__(init_cfg=init_cfg)
        if num_classes <= 0:
            raise ValueError(f'num_classes must be positive, got {num_classes}')
        self.in_channels, self.num_classes = in_channels, num_classes
        self.bn = nn.BatchNorm1d(in_channels, affine=False, eps=1e-6) if batch_norm else None
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc = nn.Linear(in_channels, num_classes)
        nn.init.trunc_normal_(self.fc.weight, std=init_std)
        nn.init.zeros_(self.fc.bias)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        if self.bn is not None:
            feats = self.bn(feats)
        return self.fc(self.dropout(feats))
