"""SimMIM's reconstruction loss: mean absolute error over the masked patches' raw inputs."""

import torch

from lmdkit.registry import MODELS

from .masked_mse import MaskedMSELoss


@MODELS.register_module()
class MaskedL1Loss(MaskedMSELoss):
    """loss = Σ_l m_l · mean_P |pred − target| / Σ_l m_l — SimMIM's Σ |x̂ − x|·m / Σ m / C, as every patch has the
    same number of elements. ``norm_pix`` and ``loss_weight`` as ``MaskedMSELoss``."""

    def patch_errors(self, pred: torch.Tensor, patches: torch.Tensor) -> torch.Tensor:
        """(B, L) mean absolute error of each patch's prediction against its target."""
        return (pred - self.construct_target(patches)).abs().mean(dim=-1)
