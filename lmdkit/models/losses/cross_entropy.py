"""Cross-entropy for classification with hard labels or soft (mixup/cutmix) targets."""

import torch
import torch.nn as nn
import torch.nn.functional as F

from lmdkit.registry import MODELS


@MODELS.register_module()
class CrossEntropyLoss(nn.Module):
    """Mean cross-entropy of (B, K) logits against (B,) class indices or (B, K) target distributions.

    Args:
        label_smoothing: mix hard labels with the uniform distribution (ignored for soft targets, which already
            carry it when mixup made them).
        loss_weight: multiplier of the loss.
    """

    def __init__(self, label_smoothing: float = 0.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f'label_smoothing must be in [0, 1), got {label_smoothing}')
        self.label_smoothing, self.loss_weight = label_smoothing, loss_weight

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if target.ndim == logits.ndim:  # soft targets: −Σ q·log p
            loss = torch.sum(-target * F.log_softmax(logits.float(), dim=-1), dim=-1).mean()
        else:
            loss = F.cross_entropy(logits.float(), target.long(), label_smoothing=self.label_smoothing)
        return self.loss_weight * loss
