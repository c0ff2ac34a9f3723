"""Classifier-free guidance (Ho & Salimans 2022) with a scale that may vary over the reverse process."""

import math
from typing import Any, Callable, Optional, Tuple

import torch

#: a condition: class labels (B,), or a tuple of (B, ...) tensors (a caption embedding)
Condition = Any


def cat_conditions(a: Condition, b: Condition) -> Condition:
    """Two conditions of one kind stacked on the batch: [a; b]."""
    if isinstance(a, torch.Tensor):
        return torch.cat([a, b])
    return type(a)(*(torch.cat([x, y]) for x, y in zip(a, b)))


def guidance_scale(scale: float, t: torch.Tensor, num_steps: int, schedule: str = 'constant',
                   power: float = 1.0) -> torch.Tensor:  # fmt: skip
    """w_t for original timesteps ``t`` (B,) of a T-step process.

    'constant': w. 'linear': 1 + (w − 1)·(1 − t/T), growing from 1 at pure noise to w at the end.
    'power-cosine' (MDTv2): 1 + (w − 1)·(1 − cos(π·(1 − t/T)^s))/2 with s = ``power``.
    """
    frac = 1.0 - t.float() / num_steps  # 0 at pure noise -> 1 at the data
    if schedule == 'constant':
        return torch.full_like(frac, float(scale))
    if schedule == 'linear':
        return 1.0 + (scale - 1.0) * frac
    if schedule == 'power-cosine':
        return 1.0 + (scale - 1.0) * (1.0 - torch.cos(math.pi * frac**power)) / 2.0
    raise ValueError(f"guidance schedule must be 'constant', 'linear' or 'power-cosine', got {schedule!r}")


def guided_model(
    model_fn: Callable[[torch.Tensor, torch.Tensor, Condition], torch.Tensor],
    cond: Condition,
    null: Condition,
    scale: float,
    num_steps: int,
    schedule: str = 'constant',
    power: float = 1.0,
    guide_channels: Optional[int] = None,
) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """``model_fn(x, t, y)`` -> a guided ``f(x, t)``: one batched pass on [x, x] with conditions [cond, null] (the
    null class's labels, or the empty caption's embedding), then uncond + w·(cond − uncond) on the prediction
    channels.

    ``guide_channels``: guide only the first k channels of the prediction (the official DiT/MDT code guides 3 of
    4 latent channels; published FIDs depend on it); None guides them all. Learned-variance channels (the second
    half when the output has twice the input channels) always come from the conditional pass.
    """
    if scale == 1.0 and schedule == 'constant':
        return lambda x, t: model_fn(x, t, cond)
    both = cat_conditions(cond, null)

    def fn(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        out = model_fn(torch.cat([x, x]), torch.cat([t, t]), both)
        w = guidance_scale(scale, t, num_steps, schedule, power)
        return _guide(out, w, x.shape[1] if guide_channels is None else guide_channels)

    return fn


def guided_joint_model(
    model_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor, Condition], Tuple[torch.Tensor, torch.Tensor]],
    cond: Condition,
    null: Condition,
    scale: float,
    num_steps: int,
    schedule: str = 'constant',
    power: float = 1.0,
    guide_channels: Optional[int] = None,
) -> Callable[[torch.Tensor, torch.Tensor, torch.Tensor], Tuple[torch.Tensor, torch.Tensor]]:
    """``guided_model`` for REG: ``model_fn(x, r, t, y)`` -> (latent output, token prediction) becomes a guided
    ``f(x, r, t)``; the token's prediction is guided by the same scale on all its channels (REG's default
    ``cls_cfg_scale`` equals ``cfg_scale``)."""
    if scale == 1.0 and schedule == 'constant':
        return lambda x, r, t: model_fn(x, r, t, cond)
    both = cat_conditions(cond, null)

    def fn(x: torch.Tensor, r: torch.Tensor, t: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        out, r_out = model_fn(torch.cat([x, x]), torch.cat([r, r]), torch.cat([t, t]), both)
        w = guidance_scale(scale, t, num_steps, schedule, power)
        return _guide(out, w, x.shape[1] if guide_channels is None else guide_channels), _guide(r_out, w, r.shape[1])

    return fn


def _guide(out: torch.Tensor, w: torch.Tensor, k: int) -> torch.Tensor:
    """[cond; uncond] stacked on the batch -> cond with its first ``k`` channels replaced by uncond + w·(cond −
    uncond), w (B,) per sample."""
    cond, uncond = out.chunk(2)
    w = w.reshape(-1, *([1] * (cond.ndim - 1)))
    guided = cond.clone()
    guided[:, :k] = uncond[:, :k] + w * (cond[:, :k] - uncond[:, :k])
    return guided
