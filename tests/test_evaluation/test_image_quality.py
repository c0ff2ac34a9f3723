"""PSNR / SSIM against independent computations; codebook usage."""

import math

import numpy as np
import pytest
import torch

from lmdkit.evaluation.metrics import CodebookUsageMetric, ImageQualityMetric, psnr, ssim


def naive_ssim(x: np.ndarray, y: np.ndarray) -> float:
    """Wang et al. (2004) by explicit loops over 11x11 windows, Gaussian σ = 1.5, K = (0.01, 0.03), L = 255."""
    r = np.arange(11) - 5
    w = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * 1.5**2))
    w /= w.sum()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    vals = []
    for i in range(x.shape[0] - 10):
        for j in range(x.shape[1] - 10):
            a, b = x[i : i + 11, j : j + 11], y[i : i + 11, j : j + 11]
            ma, mb = (w * a).sum(), (w * b).sum()
            va, vb = (w * (a - ma) ** 2).sum(), (w * (b - mb) ** 2).sum()
            cov = (w * (a - ma) * (b - mb)).sum()
            vals.append(((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma**2 + mb**2 + c1) * (va + vb + c2)))
    return float(np.mean(vals))


def test_psnr_closed_form():
    gt = torch.zeros(1, 1, 8, 8)
    pred = torch.full((1, 1, 8, 8), 10.0)
    assert float(psnr(pred, gt)) == pytest.approx(10 * math.log10(255**2 / 100))


def test_ssim_against_loops():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (20, 24))
    y = np.clip(x + rng.normal(0, 25, x.shape), 0, 255)
    ours = float(ssim(torch.tensor(y)[None, None], torch.tensor(x)[None, None]))
    assert ours == pytest.approx(naive_ssim(y, x), abs=1e-9)
    assert float(ssim(torch.tensor(x)[None, None], torch.tensor(x)[None, None])) == pytest.approx(1.0)


def test_metrics_aggregate_per_image():
    metric = ImageQualityMetric()
    gt = torch.rand(3, 1, 16, 16) * 255
    metric.process(None, [dict(pred=gt[i] + 5, gt=gt[i]) for i in range(3)])
    out = metric.compute_metrics(metric.results)
    assert out['psnr'] == pytest.approx(10 * math.log10(255**2 / 25), rel=1e-6) and 0 < out['ssim'] <= 1
    usage = CodebookUsageMetric(num_codes=8)
    usage.process(None, [dict(indices=torch.tensor([[0, 1], [1, 1]])), dict(indices=torch.tensor([[3]]))])
    out = usage.compute_metrics(usage.results)
    p = np.array([1, 3, 1]) / 5
    assert out['usage'] == 3 / 8 and out['perplexity'] == pytest.approx(float(np.exp(-(p * np.log(p)).sum())))
