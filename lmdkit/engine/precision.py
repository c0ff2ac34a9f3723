"""What ``--amp`` means, in one place for every tool: bf16 autocast by default, fp16 with a loss scaler on request."""

from typing import List, Optional, Union

import torch

#: the values of ``--amp``; a bare ``--amp`` means the first
AMP_CHOICES = ('bf16', 'fp16')
AMP_HELP = ('mixed precision: bf16 autocast on any device (the default of a bare --amp; no loss scaling needed), or '
            'fp16 autocast with a dynamic loss scaler (CUDA only; for GPUs without bf16)')  # fmt: skip
_DTYPES = {'bf16': 'bfloat16', 'fp16': 'float16'}


def resolve_amp(amp: Union[bool, str, None]) -> Optional[str]:
    """An ``--amp`` value as 'bf16', 'fp16' or None (off); True means 'bf16'."""
    if amp is None or amp is False:
        return None
    if amp is True:
        return AMP_CHOICES[0]
    if amp not in AMP_CHOICES:
        raise ValueError(f'--amp must be one of {AMP_CHOICES} (or given bare for bf16), got {amp!r}')
    return amp


def amp_dtype(amp: Union[bool, str, None]) -> Optional[torch.dtype]:
    """The autocast dtype of an ``--amp`` value (None: full precision)."""
    amp = resolve_amp(amp)
    return getattr(torch, _DTYPES[amp]) if amp else None


def wrapper_entries(optim_wrapper: dict) -> List[dict]:
    """The optimiser-wrapper configs inside ``optim_wrapper``: itself, or each sub-module's entry of a
    ``MultiOptimWrapperConstructor`` config (GANs: one wrapper per sub-module)."""
    if optim_wrapper.get('constructor') == 'MultiOptimWrapperConstructor':
        return [v for k, v in optim_wrapper.items() if k != 'constructor' and isinstance(v, dict)]
    return [optim_wrapper]


def apply_amp(optim_wrapper: dict, amp: Union[bool, str, None], device_type: str) -> None:
    """Set the mixed precision of an optimiser-wrapper config in place: bf16 → ``AutocastOptimWrapper`` (autocast,
    no loss scaler: bf16 has fp32's range), on CPU and CUDA alike; fp16 → MMEngine's ``AmpOptimWrapper`` with a
    dynamic loss scaler, which only CUDA has. Nothing changes without ``amp``."""
    amp = resolve_amp(amp)
    if amp is None:
        return
    if amp == 'fp16' and device_type != 'cuda':
        raise ValueError(f'--amp fp16 needs a CUDA device (its loss scaler is CUDA-only; this run is on '
                         f'{device_type}); use --amp bf16')  # fmt: skip
    for entry in wrapper_entries(optim_wrapper):
        entry.pop('loss_scale', None)
        if amp == 'bf16':
            entry.update(type='AutocastOptimWrapper', dtype='bfloat16')
        else:
            entry.update(type='AmpOptimWrapper', dtype='float16', loss_scale='dynamic')


def full_precision(optim_wrapper: dict) -> None:
    """Make every optimiser-wrapper config in ``optim_wrapper`` a plain ``OptimWrapper`` (fp32), whatever precision
    the config chose."""
    for entry in wrapper_entries(optim_wrapper):
        entry.pop('dtype', None)
        entry.pop('loss_scale', None)
        entry['type'] = 'OptimWrapper'


def add_amp_argument(parser, help: str = AMP_HELP) -> None:
    """``--amp [bf16|fp16]`` on an argparse parser (or group): a bare ``--amp`` means bf16."""
    parser.add_argument('--amp', nargs='?', const=AMP_CHOICES[0], choices=AMP_CHOICES, help=help)


def autocast_dtype_of(optim_wrapper: dict) -> Optional[torch.dtype]:
    """The dtype a (single) optimiser-wrapper config autocasts to, None for full precision: what a step really
    runs in, whether ``--amp`` or the config chose it."""
    kind = optim_wrapper.get('type')
    if kind == 'AutocastOptimWrapper':
        return getattr(torch, optim_wrapper.get('dtype') or 'bfloat16')
    if kind == 'AmpOptimWrapper':
        return getattr(torch, optim_wrapper.get('dtype') or 'float16')
    return None
