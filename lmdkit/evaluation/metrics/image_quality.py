"""Reconstruction quality: PSNR, SSIM (on 0–255 images) and codebook usage of a VQ projector."""

from typing import List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric

from lmdkit.registry import METRICS


def psnr(pred: torch.Tensor, gt: torch.Tensor, max_value: float = 255.0) -> torch.Tensor:
    """Per-image PSNR in dB of (B, C, H, W) tensors: 10 · log10(max² / MSE)."""
    mse = (pred.double() - gt.double()).pow(2).flatten(1).mean(1)
    return 10 * torch.log10(max_value**2 / mse.clamp_min(1e-10))


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    g = g / g.sum()
    return g[:, None] @ g[None, :]  # (size, size)


def ssim(pred: torch.Tensor, gt: torch.Tensor, max_value: float = 255.0, window: int = 11, sigma: float = 1.5):
    """Per-image SSIM (Wang et al., 2004): 11×11 Gaussian window (σ 1.5), K1 = 0.01, K2 = 0.03, valid region,
    averaged over pixels and channels."""
    c = pred.shape[1]
    kernel = _gaussian_window(window, sigma).to(pred.device)[None, None].repeat(c, 1, 1, 1)
    x, y = pred.double(), gt.double()
    mu_x, mu_y = F.conv2d(x, kernel, groups=c), F.conv2d(y, kernel, groups=c)
    sxx = F.conv2d(x * x, kernel, groups=c) - mu_x**2
    syy = F.conv2d(y * y, kernel, groups=c) - mu_y**2
    sxy = F.conv2d(x * y, kernel, groups=c) - mu_x * mu_y
    c1, c2 = (0.01 * max_value) ** 2, (0.03 * max_value) ** 2
    value = ((2 * mu_x * mu_y + c1) * (2 * sxy + c2)) / ((mu_x**2 + mu_y**2 + c1) * (sxx + syy + c2))
    return value.flatten(1).mean(1)


@METRICS.register_module()
class ImageQualityMetric(BaseMetric):
    """Mean PSNR and SSIM (and LPIPS, given its local weights) of reconstructions (``pred``) against originals
    (``gt``), both 0–255 (C, H, W).

    Args:
        metrics: any of 'psnr', 'ssim', 'lpips'.
        lpips: ``LPIPS`` config (``net`` 'vgg' or 'alex', ``backbone_checkpoint``, ``lin_checkpoint``), needed for
            'lpips'.
    """

    default_prefix = 'rec'

    def __init__(self, metrics: Sequence[str] = ('psnr', 'ssim'), lpips: Optional[dict] = None,
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:  # fmt: skip
        super().__init__(collect_device=collect_device, prefix=prefix)
        unknown = set(metrics) - {'psnr', 'ssim', 'lpips'}
        if unknown:
            raise ValueError(f'unknown image metrics {sorted(unknown)}; choose from psnr, ssim, lpips')
        self.metrics = tuple(metrics)
        self.lpips = None
        if 'lpips' in metrics:
            if lpips is None:
                raise ValueError("metric 'lpips' needs lpips=dict(backbone_checkpoint=..., lin_checkpoint=...)")
            from lmdkit.registry import MODELS

            self.lpips = MODELS.build(dict(type='LPIPS', **lpips))

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        pred = torch.stack([d['pred'] for d in data_samples])
        gt = torch.stack([d['gt'] for d in data_samples])
        row = {}
        if 'psnr' in self.metrics:
            row['psnr'] = psnr(pred, gt)
        if 'ssim' in self.metrics:
            row['ssim'] = ssim(pred, gt)
        if self.lpips is not None:
            from lmdkit.models.losses import lpips_distance

            with torch.no_grad():
                row['lpips'] = lpips_distance(self.lpips, pred.float(), gt.float())
        for i in range(pred.shape[0]):
            self.results.append({k: float(v[i]) for k, v in row.items()})

    def compute_metrics(self, results: List[dict]) -> dict:
        return {k: float(np.mean([r[k] for r in results])) for k in self.metrics}


@METRICS.register_module()
class CodebookUsageMetric(BaseMetric):
    """Share of the codebook used over the evaluation set, and the perplexity of the code histogram."""

    default_prefix = 'vq'

    def __init__(self, num_codes: int, collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.num_codes = num_codes

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for d in data_samples:
            self.results.append(torch.bincount(d['indices'].flatten(), minlength=self.num_codes))

    def compute_metrics(self, results: List[torch.Tensor]) -> dict:
        counts = torch.stack(results).sum(0).double()
        probs = counts / counts.sum()
        perplexity = torch.exp(-(probs * torch.log(probs + 1e-12)).sum())
        return dict(usage=float((counts > 0).double().mean()), perplexity=float(perplexity))
