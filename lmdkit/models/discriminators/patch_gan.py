"""PatchGAN discriminator (Isola et al., 2017) in taming-transformers' layout (``main.*``)."""

from typing import Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from lmdkit.registry import MODELS

from ..example import ComponentExample, example_noise, weighted_mean


@MODELS.register_module()
class PatchDiscriminator(BaseModule):
    """``n_layers`` stride-2 4×4 convolutions, then two stride-1 ones; one logit per receptive-field patch.

    Args:
        in_channels: image channels.
        base_channels: width of the first layer (doubles per layer, at most ×8).
        n_layers: stride-2 layers.
    """

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny PatchDiscriminator and its objective (``lmdkit.models.example``; the registry-wide test)."""
        return ComponentExample(
            cfg=dict(type='PatchDiscriminator', in_channels=1, base_channels=8, n_layers=2),
            objective=lambda m: weighted_mean(m(example_noise(2, 1, 16, 16))),
        )

    def __init__(self, in_channels: int = 3, base_channels: int = 64, n_layers: int = 3,
                 init_cfg: Optional[dict] = None) -> None:  # fmt: skip
        super().__init__(init_cfg=init_cfg)
        layers = [nn.Conv2d(in_channels, base_channels, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers + 1):
            prev, mult = mult, min(2**n, 8)
            stride = 2 if n < n_layers else 1
            layers += [nn.Conv2d(base_channels * prev, base_channels * mult, 4, stride, 1, bias=False),
                       nn.BatchNorm2d(base_channels * mult), nn.LeakyReLU(0.2, True)]  # fmt: skip
        layers.append(nn.Conv2d(base_channels * mult, 1, 4, 1, 1))
        self.main = nn.Sequential(*layers)
        self.init_weights()

    def init_weights(self) -> None:
        """N(0, 0.02) convolutions, N(1, 0.02) BatchNorm scales (taming's ``weights_init``)."""
        if self.is_init:  # done in __init__; the runner's second call must not re-draw the weights
            return
        self._is_init = True
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0.0, 0.02)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.normal_(m.weight, 1.0, 0.02)
                nn.init.zeros_(m.bias)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, 1, h, w) logits."""
        return self.main(images)
