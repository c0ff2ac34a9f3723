"""The base of every algorithm: MMEngine's ``BaseModel`` whose logged values reach the host in one copy per step."""

from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModel, is_model_wrapper

from lmdkit.utils.step_readout import StepReadout


class BaseAlgorithm(BaseModel):
    """``BaseModel`` that announces its logged tensors to its own ``step_readout``, so that the step's gradient
    check copies them to the host together (one device sync per training step instead of one per logged value).
    Nothing else changes: MMEngine's model wrappers (DDP, FSDP) call ``parse_losses`` too."""

    _labels_checked = False

    def __init__(self, data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.step_readout = StepReadout()  # read by the engine (NonFiniteGuardHook, the training loop)

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
        checks (``lmdkit.models.weights_check``) count them as present. None by default."""
        return ()

    def parse_losses(self, losses: Dict[str, torch.Tensor]) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        loss, log_vars = super().parse_losses(losses)
        self.step_readout.expect(log_vars)
        return loss, log_vars


def step_readout_of(model: Optional[nn.Module]) -> Optional[StepReadout]:
    """The readout of ``model`` (a ``BaseAlgorithm``, bare or in an MMEngine wrapper); None for other models, whose
    logged values the engine then reads with a readout of its own."""
    if model is not None and is_model_wrapper(model):
        model = model.module
    return model.step_readout if isinstance(model, BaseAlgorithm) else None
