"""FLOP counting with ``torch.utils.flop_counter`` (including the CPU attention kernels it has no formula for) and
the matmul peak that model FLOP utilisation is measured against."""

import time
from typing import Callable

import torch
from torch.utils import flop_counter as fc

_REGISTERED = False


def register_cpu_sdpa_flops() -> None:
    """torch 2.14 counts flash/efficient/cuDNN attention but not ``_scaled_dot_product_flash_attention_for_cpu``
    (and its backward), so attention FLOPs on CPU would silently count as zero. Register the same formulas."""
    global _REGISTERED
    if _REGISTERED:
        return
    aten = torch.ops.aten
    forward = getattr(aten, '_scaled_dot_product_flash_attention_for_cpu', None)
    backward = getattr(aten, '_scaled_dot_product_flash_attention_for_cpu_backward', None)
    if forward is not None and forward not in fc.flop_registry:

        @fc.register_flop_formula(forward)
        def _cpu_sdpa_forward(query_shape, key_shape, value_shape, *args, out_shape=None, **kwargs) -> int:
            return fc.sdpa_flop_count(query_shape, key_shape, value_shape)

    if backward is not None and backward not in fc.flop_registry:

        @fc.register_flop_formula(backward)
        def _cpu_sdpa_backward(grad_out_shape, query_shape, key_shape, value_shape, *args, out_shape=None,
                               **kwargs) -> int:  # fmt: skip
            return fc.sdpa_backward_flop_count(grad_out_shape, query_shape, key_shape, value_shape)

    _REGISTERED = True


def count_flops(fn: Callable[[], object]) -> int:
    """Total FLOPs (multiply-add = 2) of running ``fn`` once."""
    register_cpu_sdpa_flops()
    with fc.FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


def matmul_peak(device: str, dtype: torch.dtype, size: int = 0, repeat: int = 10) -> float:
    """Achievable dense matmul FLOP/s on ``device`` in ``dtype`` (best of ``repeat``): the denominator of MFU."""
    size = size or (8192 if device.startswith('cuda') else 2048)
    a, b = (torch.randn(size, size, device=device, dtype=dtype) for _ in range(2))
    for _ in range(2):
        a @ b
    best = float('inf')
    for _ in range(repeat):
        synchronize(device)
        start = time.perf_counter()
        a @ b
        synchronize(device)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best


def synchronize(device: str) -> None:
    """Wait for the device's queued work (CUDA); nothing to wait for on the CPU."""
    if device.startswith('cuda'):
        torch.cuda.synchronize()
