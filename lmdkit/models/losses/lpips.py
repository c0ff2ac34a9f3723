"""LPIPS (Zhang et al., 2018) v0.1 on VGG16 or AlexNet features, from local weights: a perceptual loss and metric."""

from typing import Optional

import torch
import torch.nn as nn
from torchvision.models import alexnet, vgg16

from lmdkit.fileio import load_released_weights
from lmdkit.registry import MODELS

#: per backbone: torchvision constructor, end (exclusive) of each ``features`` slice, and the slices' widths.
#: VGG16: relu1_2, relu2_2, relu3_3, relu4_3, relu5_3; AlexNet: relu1 … relu5 (the lpips package's slices).
_NETS = {
    'vgg': (vgg16, (4, 9, 16, 23, 30), (64, 128, 256, 512, 512)),
    'alex': (alexnet, (2, 5, 8, 10, 12), (64, 192, 384, 256, 256)),
}


@MODELS.register_module()
class LPIPS(nn.Module):
    """d(x, y) = Σ_l mean_hw ‖w_l ⊙ (φ̂_l(x) − φ̂_l(y))‖², φ̂ = channel-normalised VGG16 or AlexNet activations.

    Nothing is downloaded: both weight files are local.

    Args:
        net: 'vgg' (the perceptual loss of VQ-GAN/SD-VAE training) or 'alex' (the LPIPS metric papers report).
        backbone_checkpoint: torchvision's ImageNet weights of that network (``vgg16-397923af.pth`` /
            ``alexnet-owt-7be5be79.pth`` layout: ``features.N.*``; ``classifier.*`` keys are ignored).
        lin_checkpoint: the official LPIPS linear layers (``lpips/weights/v0.1/{vgg,alex}.pth``:
            ``lin{l}.model.1.weight``).
        vgg_checkpoint: older name of ``backbone_checkpoint`` for ``net='vgg'``.
        Inputs are images in [-1, 1]; 1-channel images are repeated to 3.
    """

    def __init__(
        self,
        net: str = 'vgg',
        backbone_checkpoint: Optional[str] = None,
        lin_checkpoint: Optional[str] = None,
        vgg_checkpoint: Optional[str] = None,
    ) -> None:
        super().__init__()
        if net not in _NETS:
            raise ValueError(f'LPIPS net must be one of {sorted(_NETS)}, got {net!r}')
        backbone_checkpoint = backbone_checkpoint or vgg_checkpoint
        if not backbone_checkpoint or not lin_checkpoint:
            raise ValueError(
                f'LPIPS needs local weights: backbone_checkpoint (torchvision {net} .pth) and lin_checkpoint (the '
                f'lpips package file lpips/weights/v0.1/{net}.pth); nothing is downloaded'
            )
        build, self._slices, widths = _NETS[net]
        self.net = net
        self.features = build().features[: self._slices[-1]]
        self.lins = nn.ModuleList(nn.Conv2d(c, 1, 1, bias=False) for c in widths)
        self.register_buffer('shift', torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1))
        self.register_buffer('scale', torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1))
        backbone, _ = load_released_weights(backbone_checkpoint)
        feats = {k[len('features.') :]: v for k, v in backbone.items() if k.startswith('features.')}
        self.features.load_state_dict(feats, strict=True)
        lin, _ = load_released_weights(lin_checkpoint)
        self.lins.load_state_dict({k.replace('lin', '', 1).replace('.model.1.', '.'): v for k, v in lin.items()})
        for p in self.parameters():
            p.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> 'LPIPS':
        return super().train(False)

    def _activations(self, x: torch.Tensor) -> list:
        if x.shape[1] == 1:
            x = x.repeat(1, 3, 1, 1)
        x = (x - self.shift) / self.scale
        outs, start = [], 0
        for end in self._slices:
            for i in range(start, end):
                x = self.features[i](x)
            outs.append(x)
            start = end
        return outs

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """(B,) distances between two (B, C, H, W) batches in [-1, 1]."""
        total = 0.0
        for lin, fx, fy in zip(self.lins, self._activations(x), self._activations(y)):
            fx = fx / (fx.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            fy = fy / (fy.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            total = total + lin((fx - fy) ** 2).mean((2, 3))
        return total.flatten()


def lpips_distance(model: LPIPS, pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """LPIPS of 0–255 images."""
    return model(pred / 127.5 - 1.0, gt / 127.5 - 1.0)


__all__ = ['LPIPS', 'lpips_distance']
