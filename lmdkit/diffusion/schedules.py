"""Noise schedules: β_t for t = 0 … T−1 and timestep respacing (Ho et al. 2020; Nichol & Dhariwal 2021)."""

import math
from typing import List, Sequence, Set, Union

import numpy as np


def linear_betas(num_steps: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> np.ndarray:
    """DiT/ADM's linear schedule, scaled by 1000 / T so that any T spans the same noise range."""
    scale = 1000.0 / num_steps
    return np.linspace(scale * beta_start, scale * beta_end, num_steps, dtype=np.float64)


def cosine_betas(num_steps: int, s: float = 0.008, max_beta: float = 0.999) -> np.ndarray:
    """Improved DDPM's cosine schedule: ᾱ(t) = cos²(((t/T + s) / (1 + s))·π/2), β_t = 1 − ᾱ(t+1)/ᾱ(t) ≤ max_beta."""

    def alpha_bar(t: float) -> float:
        return math.cos((t + s) / (1 + s) * math.pi / 2) ** 2

    return np.array(
        [min(1 - alpha_bar((i + 1) / num_steps) / alpha_bar(i / num_steps), max_beta) for i in range(num_steps)],
        dtype=np.float64,
    )


def get_betas(name: str, num_steps: int) -> np.ndarray:
    """β_t of a named schedule: 'linear' (DiT, MDT) or 'cosine'."""
    if name == 'linear':
        return linear_betas(num_steps)
    if name == 'cosine':
        return cosine_betas(num_steps)
    raise ValueError(f"unknown beta schedule {name!r}; choose 'linear' or 'cosine'")


def space_timesteps(num_steps: int, spacing: Union[str, int, Sequence[int]]) -> Set[int]:
    """The original timesteps a respaced process keeps (ADM's ``space_timesteps``).

    ``spacing``: an int or 'N' (N steps spread evenly, first and last kept), 'ddimN' (every T/N-th step from 0,
    DDIM's and diffusers' "leading" spacing), or a list of per-section counts over equal sections of [0, T).
    """
    if isinstance(spacing, str) and spacing.startswith('ddim'):
        count = int(spacing[len('ddim') :])
        for stride in range(1, num_steps):
            if len(range(0, num_steps, stride)) == count:
                return set(range(0, num_steps, stride))
        raise ValueError(f'cannot take exactly {count} equally strided steps from {num_steps}')
    counts: List[int] = [int(spacing)] if isinstance(spacing, (int, str)) else [int(c) for c in spacing]
    size, extra = divmod(num_steps, len(counts))
    kept, start = set(), 0
    for i, count in enumerate(counts):
        section = size + (1 if i < extra else 0)
        if count > section or count < 1:
            raise ValueError(f'cannot take {count} steps from a section of {section}')
        stride = (section - 1) / (count - 1) if count > 1 else 1.0
        kept.update(start + round(stride * j) for j in range(count))
        start += section
    return kept
