"""Fréchet distance between Gaussians fitted to feature sets (FID, sFID, FID-FMNIST: the features decide which)."""

from typing import Tuple

import numpy as np
import torch


def feature_statistics(features: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and unbiased covariance (D, D) in float64 of (N, D) features, as pytorch-fid and ADM compute them."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f'need (N >= 2, D) features, got shape {features.shape}')
    return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½).

    tr((Σ₁Σ₂)^½) is computed as Σ √λ over the eigenvalues of the symmetric PSD matrix Σ₁^½ Σ₂ Σ₁^½ (similar to
    Σ₁Σ₂), in float64 — no complex square roots or the ε-offset retry scipy's ``sqrtm`` needs on singular
    covariances (for example fewer samples than feature dimensions).
    """
    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    s1, s2 = np.atleast_2d(sigma1).astype(np.float64), np.atleast_2d(sigma2).astype(np.float64)
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (mu1.size, mu1.size):
        raise ValueError(f'mismatched statistics: mu {mu1.shape} vs {mu2.shape}, sigma {s1.shape} vs {s2.shape}')
    t1, t2 = torch.from_numpy(s1), torch.from_numpy(s2)
    evals, evecs = torch.linalg.eigh((t1 + t1.T) / 2)
    root1 = (evecs * evals.clamp_min(0).sqrt()) @ evecs.T  # Σ₁^½
    inner = root1 @ t2 @ root1
    tr_covmean = torch.linalg.eigvalsh((inner + inner.T) / 2).clamp_min(0).sqrt().sum().item()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * tr_covmean)
