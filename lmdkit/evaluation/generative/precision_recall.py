"""Improved precision and recall (Kynkäänniemi et al., 2019): k-NN balls approximate each feature manifold."""

from typing import Dict

import torch


def _knn_radii(features: torch.Tensor, k: int, batch: int) -> torch.Tensor:
    """Distance from each point to its k-th nearest neighbour in the same set (itself excluded)."""
    radii = []
    for start in range(0, len(features), batch):
        d = torch.cdist(features[start : start + batch], features)  # (b, N)
        radii.append(d.kthvalue(k + 1, dim=1).values)  # the 1st smallest is the point itself (distance 0)
    return torch.cat(radii)


def _coverage(points: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor, batch: int) -> float:
    """Share of ``points`` inside at least one ball (centre, radius)."""
    inside = []
    for start in range(0, len(points), batch):
        d = torch.cdist(points[start : start + batch], centres)  # (b, M)
        inside.append((d <= radii[None]).any(dim=1))
    return float(torch.cat(inside).float().mean())


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = 3, batch: int = 1024) -> Dict[str, float]:
    """precision = share of generated samples inside the real manifold; recall = share of real samples inside the
    generated manifold; each manifold is the union of balls reaching every point's k-th nearest neighbour."""
    real, fake = torch.as_tensor(real).double(), torch.as_tensor(fake).double()
    if min(len(real), len(fake)) <= k:
        raise ValueError(f'precision/recall with k={k} needs more than {k} points per set')
    precision = _coverage(fake, real, _knn_radii(real, k, batch), batch)
    recall = _coverage(real, fake, _knn_radii(fake, k, batch), batch)
    return dict(precision=precision, recall=recall)
