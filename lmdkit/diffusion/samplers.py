"""Sampling loops: DDPM ancestral and DDIM over any number of (respaced) steps, with a progress bar."""

from typing import Callable, Optional, Sequence

import torch

from .gaussian_diffusion import GaussianDiffusion

SAMPLERS = ('ddpm', 'ddim')


@torch.no_grad()
def sample(
    diffusion: GaussianDiffusion,
    model_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    shape: Sequence[int],
    sampler: str = 'ddim',
    steps: Optional[int] = 50,
    eta: float = 0.0,
    clip_denoised: bool = False,
    noise: Optional[torch.Tensor] = None,
    generator: Optional[torch.Generator] = None,
    device: torch.device = torch.device('cpu'),
    progress: bool = False,
) -> torch.Tensor:
    """Draw x₀ of ``shape`` by running the reverse process from pure noise.

    ``model_fn(x_t, t)`` receives original timesteps. ``steps``: respace to this many steps (DDIM: every T/steps-th
    step; DDPM: evenly spread), None = all of ``diffusion``'s steps. ``generator`` makes the run reproducible.
    """
    if sampler not in SAMPLERS:
        raise ValueError(f'sampler must be one of {SAMPLERS}, got {sampler!r}')
    process = diffusion
    if steps and steps != diffusion.num_steps:
        process = diffusion.respace(f'ddim{steps}' if sampler == 'ddim' else steps)

    def randn() -> torch.Tensor:
        return torch.randn(tuple(shape), generator=generator).to(device)

    x = noise.to(device) if noise is not None else randn()
    timestep_map = torch.as_tensor(process.timestep_map, device=device)
    indices = range(process.num_steps - 1, -1, -1)
    if progress:
        from mmengine.utils import ProgressBar

        bar = ProgressBar(process.num_steps)
    for i in indices:
        t = torch.full((shape[0],), i, device=device, dtype=torch.long)
        out = model_fn(x, timestep_map[t])
        if sampler == 'ddpm':
            x = process.ddpm_step(out, x, t, randn(), clip_denoised)['sample']
        else:
            x = process.ddim_step(out, x, t, randn() if eta > 0 else None, eta, clip_denoised)['sample']
        if progress:
            bar.update()
    return x
