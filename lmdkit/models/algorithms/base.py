"""The base of every algorithm: MMEngine's ``BaseModel`` whose logged values reach the host in one copy per step."""

from abc import abstractmethod
from numbers import Real
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

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

    def forward(self, inputs: Any, data_samples: Optional[dict] = None, mode: str = 'tensor') -> Any:
        """MMEngine's three modes, the same for every algorithm: 'loss' → :meth:`loss` (the training step's terms and
        scalars), 'predict' → :meth:`predict` (per-sample results for the evaluators), 'tensor' →
        :meth:`forward_tensor` (features or logits)."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.forward_tensor(inputs)
        raise ValueError(f"mode must be 'loss', 'predict' or 'tensor', got '{mode}'")

    @abstractmethod
    def loss(self, inputs: Any, data_samples: Optional[dict] = None) -> Dict[str, Union[torch.Tensor, float]]:
        """The step's terms: loss terms (tensors; keys containing ``loss`` are summed) and logged tensors (see
        :meth:`parse_losses`)."""

    @abstractmethod
    def predict(self, inputs: Any, data_samples: Optional[dict] = None) -> List[dict]:
        """One dict of results per sample (what the metrics read)."""

    def step_scalars(self) -> Dict[str, float]:
        """Host numbers the training step reports besides its terms (the mask ratio it used); added to the step's
        outputs by :meth:`parse_losses`, at no device transfer. None by default."""
        return {}

    def forward_tensor(self, inputs: Any) -> torch.Tensor:
        """The 'tensor' mode; algorithms without one refuse it."""
        raise ValueError(f"{type(self).__name__} has no 'tensor' mode")

    @classmethod
    def training_hooks(cls, model_cfg: Mapping) -> List[dict]:
        """Hooks that training this algorithm with ``model_cfg`` needs; the training program (``lmdkit.apis.train``)
        adds each one whose type a config does not list, so configs do not restate them. None by default."""
        return []

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

    def parse_losses(
        self, losses: Mapping[str, Union[torch.Tensor, float]]
    ) -> Tuple[torch.Tensor, Dict[str, Union[torch.Tensor, float]]]:
        """The step's outputs: MMEngine's rule for tensors (every key containing ``loss`` adds to the loss that is
        back-propagated; every tensor is logged, as its mean), plus host scalars, which are logged as they are and
        cost no device transfer: Python numbers among ``losses`` and :meth:`step_scalars` (the step's mask ratio).
        The tensors are announced to ``step_readout``."""
        host = {k: v for k, v in losses.items() if isinstance(v, Real) and not isinstance(v, bool)}
        terms = [k for k in host if 'loss' in k]
        if terms:
            raise TypeError(f'{type(self).__name__}.loss returned {terms} as Python numbers: a loss term must be a '
                            'tensor (keys containing "loss" are summed and back-propagated)')  # fmt: skip
        loss, log_vars = super().parse_losses({k: v for k, v in losses.items() if k not in host})
        self.step_readout.expect(log_vars)
        log_vars.update((k, float(v)) for k, v in {**host, **self.step_scalars()}.items())
        return loss, log_vars


def step_readout_of(model: Optional[nn.Module]) -> Optional[StepReadout]:
    """The readout of ``model`` (a ``BaseAlgorithm``, bare or in an MMEngine wrapper); None for other models, whose
    logged values the engine then reads with a readout of its own."""
    if model is not None and is_model_wrapper(model):
        model = model.module
    return model.step_readout if isinstance(model, BaseAlgorithm) else None
