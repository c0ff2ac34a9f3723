"""The base of every algorithm: MMEngine's ``BaseModel`` whose logged values reach the host in one copy per step."""

from typing import Dict, Tuple

import torch
from mmengine.model import BaseModel

from lmdkit.engine import step_readout


class BaseAlgorithm(BaseModel):
    """``BaseModel`` that announces its logged tensors to ``lmdkit.engine.step_readout``, so that the step's
    gradient check copies them to the host together (one device sync per training step instead of one per logged
    value). Nothing else changes: MMEngine's model wrappers (DDP, FSDP) call ``parse_losses`` too."""

    _labels_checked = False

    def has_unlabelled(self, labels: torch.Tensor, training: bool = True) -> bool:
        """Whether ``labels`` holds -1 (an unlabelled dataset gives -1 for every image). Reading labels makes the
        host wait for the device (one sync per training step is the budget), so training reads the first batch
        only; evaluation (``training=False``) reads every batch."""
        if training and self._labels_checked:
            return False
        self._labels_checked = self._labels_checked or training
        return bool((labels < 0).any())

    def state_filled_on_load(self) -> Tuple[str, ...]:
        """State-dict keys that loading fills in when a checkpoint lacks them (written by older versions); weight
        checks (``lmdkit.engine.weights_check``) count them as present. None by default."""
        return ()

    def parse_losses(self, losses: Dict[str, torch.Tensor]) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        loss, log_vars = super().parse_losses(losses)
        step_readout.expect(log_vars)
        return loss, log_vars
