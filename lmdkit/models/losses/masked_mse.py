"""MAE's reconstruction loss: per-patch MSE, averaged over the masked patches only. The loss owns its target: the
standardised patches with ``norm_pix`` (and the inverse, to show predictions in the patches' own units)."""

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

    eps = 1e-6  # added to each patch's variance before the square root (MAE)

    def __init__(self, norm_pix: bool = False, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.norm_pix, self.loss_weight = norm_pix, loss_weight

    @property
    def target_is_raw(self) -> bool:
        """Whether predictions are in the patches' own units (without ``norm_pix``): what decoding and pixel-space
        losses need."""
        return not self.norm_pix

    def construct_target(self, patches: torch.Tensor) -> torch.Tensor:
        """The target predictions are compared with, from (B, L, P) patches: standardised per patch with
        ``norm_pix``, else the patches themselves."""
        return normalize_patches(patches, self.eps) if self.norm_pix else patches

    def restore(self, pred: torch.Tensor, patches: torch.Tensor) -> torch.Tensor:
        """Predictions (B, L, P) in the patches' own units: with ``norm_pix`` each is un-standardised with the mean
        and variance of the true patch at its place (MAE's visualisation), else returned as they are."""
        if not self.norm_pix:
            return pred
        mean, var = patches.mean(-1, keepdim=True), patches.var(-1, keepdim=True)
        return pred * (var + self.eps) ** 0.5 + mean

    def patch_errors(self, pred: torch.Tensor, patches: torch.Tensor) -> torch.Tensor:
        """(B, L) mean squared error of each patch's prediction against its target."""
        return (pred - self.construct_target(patches)).pow(2).mean(dim=-1)

    def forward(self, pred: torch.Tensor, target: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """pred: (B, L, P) predictions; target: the (B, L, P) patches (standardised here with ``norm_pix``); mask:
        (B, L), 1 = masked (None: every patch counts)."""
        per_patch = self.patch_errors(pred, target)  # (B, L)
        if mask is None:
            return self.loss_weight * per_patch.mean()
        return self.loss_weight * (per_patch * mask).sum() / mask.sum().clamp_min(1.0)
