"""A small VGG-style CNN: a fast classifier for Fashion-MNIST, used as the feature network of FID-FMNIST."""

from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from lmdkit.registry import MODELS

from ..example import ComponentExample, example_noise, weighted_mean


@MODELS.register_module()
class ConvNet(BaseModule):
    """Stages of two 3×3 conv-BN-ReLU layers, each stage but the last followed by 2×2 max pooling, then global
    average pooling: (B, C, H, W) -> (B, widths[-1]).

    Args:
        in_channels: image channels.
        widths: channels per stage.
        input_size: the image side it is trained at (recorded for feature extraction).
        dropout: dropout on the pooled features in training.
    """

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny ConvNet and its objective (``lmdkit.models.example``; the registry-wide test)."""
        return ComponentExample(
            cfg=dict(type='ConvNet', in_channels=1, widths=(4, 8)),
            objective=lambda m: weighted_mean(m(example_noise(2, 1, 8, 8))),
        )

    def __init__(
        self,
        in_channels: int = 1,
        widths: Sequence[int] = (32, 64, 128),
        input_size: int = 32,
        dropout: float = 0.0,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels, self.input_size, self.embed_dim = in_channels, input_size, widths[-1]
        self.out_dim = widths[-1]  # pooled features (B, out_dim)
        layers, ch = [], in_channels
        for i, w in enumerate(widths):
            for _ in range(2):
                layers += [nn.Conv2d(ch, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True)]
                ch = w
            if i < len(widths) - 1:
                layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.features(x).mean(dim=(2, 3)))
