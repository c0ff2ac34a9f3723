"""Mixed precision through ``torch.autocast`` on any device (MMEngine's AmpOptimWrapper requires a GPU)."""

from contextlib import contextmanager

import torch

from lmdkit.registry import OPTIM_WRAPPERS

from .guarded_optim_wrapper import GuardedOptimWrapper


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(GuardedOptimWrapper):
    """Runs forward passes under ``torch.autocast(device_type, dtype)``; bfloat16 needs no loss scaling.

    What ``--amp`` (bf16, every tool: ``lmdkit.engine.precision``) builds on CPU and CUDA alike (bf16 matmuls are
    about 4x faster than fp32 on AVX-512-bf16 CPUs); ``--amp fp16`` uses MMEngine's ``AmpOptimWrapper`` and its loss
    scaler instead. A ``GuardedOptimWrapper``, so the non-finite guard checks its steps.

    Args:
        dtype: 'bfloat16' (default) or 'float16' (CUDA only; fp16 on CPU is very slow).
    """

    def __init__(self, dtype: str = 'bfloat16', **kwargs) -> None:
        super().__init__(**kwargs)
        if dtype not in ('bfloat16', 'float16'):
            raise ValueError(f"AutocastOptimWrapper dtype must be 'bfloat16' or 'float16', got {dtype!r}")
        self.dtype = getattr(torch, dtype)

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        device_type = next(model.parameters()).device.type
        with super().optim_context(model), torch.autocast(device_type=device_type, dtype=self.dtype):
            yield
