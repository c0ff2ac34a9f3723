"""An optimiser wrapper whose step asks a guard first: the explicit seam for skipping non-finite steps."""

from typing import List, Optional, Protocol

import torch
from mmengine.optim import OptimWrapper
from torch.distributed.tensor import DTensor

from lmdkit.registry import OPTIM_WRAPPERS


class StepGuard(Protocol):
    """Decides whether an optimiser step may run (``NonFiniteGuardHook``): given the total gradient norm, a 0-d
    tensor not yet read on the host, returns True to step and False to skip the step."""

    def allow_step(self, grad_norm: torch.Tensor, log_name: str) -> bool: ...


@OPTIM_WRAPPERS.register_module()
class GuardedOptimWrapper(OptimWrapper):
    """MMEngine's ``OptimWrapper`` with a guard seam: with a ``StepGuard`` attached (:meth:`attach_guard`), each step
    first computes the total gradient norm (one fused reduction) and asks the guard; a refused step leaves the
    weights and the optimiser state untouched. Norm clipping (``clip_grad=dict(max_norm=...)``) reuses that norm
    instead of computing and reading its own. Without a guard it is exactly ``OptimWrapper``.

    The training program (``lmdkit.apis.train``) uses it wherever a config asks for ``OptimWrapper`` while the
    guard is on, so configs keep naming ``OptimWrapper``.
    """

    guard: Optional[StepGuard] = None  # set per instance by attach_guard
    guard_log_name = 'grad_norm'

    def attach_guard(self, guard: Optional[StepGuard], log_name: str = 'grad_norm') -> None:
        """Route every later step through ``guard`` (None detaches it); ``log_name`` names the norm in the logs."""
        self.guard, self.guard_log_name = guard, log_name

    @property
    def accumulative_counts(self) -> int:
        """Micro-batches per optimiser step (MMEngine's ``OptimWrapper`` keeps the number private)."""
        return self._accumulative_counts

    def _params_with_grad(self) -> List[torch.nn.Parameter]:
        return [p for g in self.optimizer.param_groups for p in g['params'] if p.grad is not None]

    def _clips_by_norm(self) -> bool:
        # MMEngine sets clip_func with clip_grad_kwargs, which is None or {} without clipping
        return 'max_norm' in (self.clip_grad_kwargs or {}) and self.clip_func is torch.nn.utils.clip_grad_norm_

    @torch.no_grad()
    def grad_norm(self) -> torch.Tensor:
        """Total gradient norm over this rank's parameters (0 without gradients), in the clipping's ``norm_type``;
        for FSDP2's sharded parameters the norm of the whole model, not of this rank's shards."""
        norm_type = self.clip_grad_kwargs.get('norm_type', 2.0) if self._clips_by_norm() else 2.0  # clipping: its own
        grads = [p.grad for p in self._params_with_grad()]
        norm = torch.nn.utils.get_total_norm(grads, norm_type) if grads else torch.zeros(())
        return norm.full_tensor() if isinstance(norm, DTensor) else norm

    def step(self, **kwargs) -> None:
        if self.guard is None:
            return super().step(**kwargs)
        norm = self.grad_norm()
        if not self.guard.allow_step(norm, self.guard_log_name):
            return None
        if not self._clips_by_norm():
            return super().step(**kwargs)
        clip = self.clip_grad_kwargs
        torch.nn.utils.clip_grads_with_norm_(self._params_with_grad(), clip['max_norm'], norm, clip.get('foreach'))
        self.optimizer.step(**kwargs)  # already clipped: OptimWrapper.step would clip again and read the norm
        return None
