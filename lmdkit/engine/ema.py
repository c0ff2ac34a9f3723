"""Exponential moving average of a model without a host sync per update."""

from typing import Optional

import torch
import torch.nn as nn
from mmengine.model import ExponentialMovingAverage

from lmdkit.registry import MODELS


@MODELS.register_module()
class SyncFreeEMA(ExponentialMovingAverage):
    """MMEngine's ``ExponentialMovingAverage`` — same formula, arguments and state dict (checkpoints are
    interchangeable) — minus its per-iteration device syncs, for ``EMAHook(ema_type='SyncFreeEMA')``.

    MMEngine tests its step counter, a device buffer, with ``steps == 0`` and ``steps % interval`` on every update,
    which makes the host wait for the GPU each iteration. Here the count is mirrored on the host (re-read once after
    a checkpoint is loaded) and the floating-point entries are averaged in one fused ``_foreach_lerp_``.
    """

    def __init__(self, model: nn.Module, momentum: float = 0.0002, interval: int = 1,
                 device: Optional[torch.device] = None, update_buffers: bool = False) -> None:  # fmt: skip
        super().__init__(model, momentum, interval, device, update_buffers)
        self._host_steps: Optional[int] = 0

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        self._host_steps = None  # the loaded counter is read at the next update

    @torch.no_grad()
    def update_parameters(self, model: nn.Module) -> None:
        if self._host_steps is None:
            self._host_steps = int(self.steps)  # once after loading a checkpoint
        source = model.state_dict() if self.update_buffers else dict(model.named_parameters())
        if self._host_steps == 0:
            for key, avg in self.avg_parameters.items():
                avg.data.copy_(source[key].data)
        elif self._host_steps % self.interval == 0:
            pairs = [
                (avg.data, source[key].data.to(avg.device))
                for key, avg in self.avg_parameters.items()
                if avg.dtype.is_floating_point
            ]  # fmt: skip  (integer buffers keep their first copy, as MMEngine)
            if pairs:
                averaged, current = map(list, zip(*pairs))
                torch._foreach_lerp_(averaged, current, self.momentum)
        if not self.update_buffers:  # buffers follow the source model
            for avg_buffer, buffer in zip(self.module.buffers(), model.buffers()):
                avg_buffer.data.copy_(buffer.data.to(avg_buffer.device))
        self.steps += 1
        self._host_steps += 1
