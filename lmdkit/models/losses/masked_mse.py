"""MAE's reconstruction loss: per-patch MSE, averaged over the masked patches only."""

from typing import Optional

import torch
import torch.nn as nn

from lmdkit.registry import MODELS


def normalize_patches(target: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Per-patch standardisation of a (B, L, P) target (MAE's ``norm_pix_loss``)."""
    mean = target.mean(dim=-1, keepdim=True)
    var = target.var(dim=-1, keepdim=True)  # unbiased, as in MAE
    return (target - mean) / (var + eps) ** 0.5


@MODELS.register_module()
class MaskedMSELoss(nn.Module):
    """loss = Σ_l m_l · mean_P (pred − target)² / Σ_l m_l.

    Args:
        norm_pix: standardise each target patch first (MAE's ``norm_pix_loss``).
        loss_weight: multiplier on the loss.
    """

    def __init__(self, norm_pix: bool = False, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.norm_pix, self.loss_weight = norm_pix, loss_weight

    def forward(self, pred: torch.Tensor, target: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """pred, target: (B, L, P); mask: (B, L), 1 = masked (None: every patch counts)."""
        if self.norm_pix:
            target = normalize_patches(target)
        per_patch = (pred - target).pow(2).mean(dim=-1)  # (B, L)
        if mask is None:
            return self.loss_weight * per_patch.mean()
        return self.loss_weight * (per_patch * mask).sum() / mask.sum().clamp_min(1.0)
