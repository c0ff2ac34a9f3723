"""REPA's representation-alignment loss (Yu et al., 2025, "Representation Alignment for Generation"): the denoiser's
hidden tokens after block ``depth``, through a projector MLP, are pulled towards a frozen teacher's patch features of
the clean input by negative cosine similarity."""

from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from lmdkit.registry import MODELS, TEACHERS

from ..teachers.base import Inputs, TeacherFeatures


@MODELS.register_module()
class REPALoss(nn.Module):
    """``loss_weight`` · mean over samples and tokens of −cos(projector(h), teacher features), REPA's ``proj_loss``.

    Args:
        teacher: ``TEACHERS`` config (``DINOv2Teacher``: REPA's default; ``LmdkitEncoderTeacher``; ``TimmViTTeacher``).
        hidden_size: the denoiser's token width (``MaskedDiffusion`` passes it).
        depth: blocks before the aligned tokens (REPA's ``encoder_depth``: 8 of SiT-XL/2's 28).
        projector_dim: width of the projector's two hidden layers (REPA: 2048; SiLU between, xavier init).
        loss_weight: λ (REPA's ``proj_coeff``: 0.5).
    """

    def __init__(
        self, teacher: dict, hidden_size: int, depth: int = 8, projector_dim: int = 2048, loss_weight: float = 0.5
    ) -> None:
        super().__init__()
        if depth < 1:
            raise ValueError(f'depth counts blocks before the aligned tokens (>= 1), got {depth}')
        self.teacher = TEACHERS.build(teacher)
        self.depth, self.loss_weight = depth, loss_weight
        self.projector = nn.Sequential(
            nn.Linear(hidden_size, projector_dim),
            nn.SiLU(),
            nn.Linear(projector_dim, projector_dim),
            nn.SiLU(),
            nn.Linear(projector_dim, self.teacher.feature_dim),
        )
        for layer in self.projector:
            if isinstance(layer, nn.Linear):
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)

    def init_weights(self) -> None:
        """The teacher's pretrained weights (the runner calls this through the algorithm before training)."""
        self.teacher.init_weights()

    def targets(
        self, inputs: Inputs, image_mean: torch.Tensor, image_std: torch.Tensor, grid: Tuple[int, int]
    ) -> TeacherFeatures:
        """The teacher's patch features (B, N, D_teacher) of the clean batch on the denoiser's token grid, and its
        class token (B, D_teacher)."""
        return self.teacher(inputs, image_mean, image_std, grid)

    def forward(self, tokens: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """tokens (B, K, D) and the teacher features at the same tokens (B, K, D_teacher) -> the weighted loss."""
        pred = F.normalize(self.projector(tokens).float(), dim=-1)
        cos = (pred * F.normalize(targets.float(), dim=-1)).sum(-1)  # (B, K)
        return self.loss_weight * -cos.mean()
