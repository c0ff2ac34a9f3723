"""The mask-ratio schedule LMD and MDT share: a ``MASK_SCHEDULERS`` component driven by the training progress."""

from typing import Dict, List, Mapping, Optional

import torch.nn as nn


class MaskScheduledMixin:
    """Mixin for algorithms that mask at a scheduled ratio (the ``MaskScheduled`` contract): ``ProgressHook``
    calls :meth:`set_progress` before each step and the training step reads ``mask_ratio``. ``mask_scheduler`` may be
    None for a model whose masking is off (DiT inside ``MaskedDiffusion``)."""

    mask_scheduler: Optional[nn.Module]
    mask_ratio: float = 0.0

    @classmethod
    def training_hooks(cls, model_cfg: Mapping) -> List[dict]:
        """``ProgressHook`` feeds the schedule, when the config has one."""
        hooks = super().training_hooks(model_cfg)  # type: ignore[misc]  (BaseAlgorithm, later in the MRO)
        return hooks + [dict(type='ProgressHook')] if model_cfg.get('mask_scheduler') is not None else hooks

    def step_scalars(self) -> Dict[str, float]:
        """The mask ratio this step trains at, reported with its outputs (when there is a schedule)."""
        scalars = super().step_scalars()  # type: ignore[misc]  (BaseAlgorithm, later in the MRO)
        return {**scalars, 'mask_ratio': float(self.mask_ratio)} if self.mask_scheduler is not None else scalars

    def set_progress(self, progress: float, step: Optional[int] = None) -> float:
        """Set the training mask ratio from progress p ∈ [0, 1] at optimiser step ``step``; returns it."""
        if self.mask_scheduler is None:
            raise RuntimeError(f'this {type(self).__name__} has no mask_scheduler: remove ProgressHook (or '
                               'MaskScheduleHook) from the config')  # fmt: skip
        self.mask_ratio = self.mask_scheduler(progress, step)
        return self.mask_ratio
