"""Sampling loops: DDPM ancestral and DDIM over any number of (respaced) steps, with a progress bar; the latents
alone, or with REG's representation token denoised alongside."""

from typing import Callable, List, Optional, Sequence, Tuple

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
    states = _reverse(diffusion, lambda s, t: [model_fn(s[0], t)], [shape], [noise], sampler, steps, eta,
                      clip_denoised, generator, device, progress)  # fmt: skip
    return states[0]


@torch.no_grad()
def sample_with_token(
    diffusion: GaussianDiffusion,
    model_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], Tuple[torch.Tensor, torch.Tensor]],
    shape: Sequence[int],
    token_dim: int,
    sampler: str = 'ddim',
    steps: Optional[int] = 50,
    eta: float = 0.0,
    clip_denoised: bool = False,
    noise: Optional[torch.Tensor] = None,
    token_noise: Optional[torch.Tensor] = None,
    generator: Optional[torch.Generator] = None,
    device: torch.device = torch.device('cpu'),
    progress: bool = False,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """REG: x₀ of ``shape`` and one (B, ``token_dim``) representation token per sample, from pure noise in both,
    ``model_fn(x_t, r_t, t)`` -> (latent output, token prediction) at each step. The token follows the same
    process; its prediction has no variance channels (DDPM: the fixed β̃_t variance) and is never clipped. Each
    step draws the latents' noise, then the token's."""
    shapes, noises = [shape, (shape[0], token_dim)], [noise, token_noise]
    states = _reverse(diffusion, lambda s, t: list(model_fn(s[0], s[1], t)), shapes, noises, sampler, steps, eta,
                      clip_denoised, generator, device, progress)  # fmt: skip
    return states[0], states[1]


def _reverse(
    diffusion: GaussianDiffusion,
    fn: Callable[[List[torch.Tensor], torch.Tensor], List[torch.Tensor]],
    shapes: Sequence[Sequence[int]],
    noises: Sequence[Optional[torch.Tensor]],
    sampler: str,
    steps: Optional[int],
    eta: float,
    clip_denoised: bool,
    generator: Optional[torch.Generator],
    device: torch.device,
    progress: bool,
) -> List[torch.Tensor]:
    """The reverse process on several states at once: the first is the latents, any others are extra tokens
    (stepped without learned variance or clipping)."""
    if sampler not in SAMPLERS:
        raise ValueError(f'sampler must be one of {SAMPLERS}, got {sampler!r}')
    process = diffusion
    if steps and steps != diffusion.num_steps:
        process = diffusion.respace(f'ddim{steps}' if sampler == 'ddim' else steps)
    token_process = GaussianDiffusion(process.betas, process.target, False, process.min_snr_gamma,
                                      process.timestep_map)  # fmt: skip
    processes = [process] + [token_process] * (len(shapes) - 1)
    clips = [clip_denoised] + [False] * (len(shapes) - 1)

    def randn(shape: Sequence[int]) -> torch.Tensor:
        return torch.randn(tuple(shape), generator=generator).to(device)

    states = [n.to(device) if n is not None else randn(s) for n, s in zip(noises, shapes)]
    timestep_map = torch.as_tensor(process.timestep_map, device=device)
    if progress:
        from mmengine.utils import ProgressBar

        bar = ProgressBar(process.num_steps)
    for i in range(process.num_steps - 1, -1, -1):
        t = torch.full((shapes[0][0],), i, device=device, dtype=torch.long)
        outs = fn(states, timestep_map[t])
        new = []
        for proc, out, x, shape, clip in zip(processes, outs, states, shapes, clips):
            if sampler == 'ddpm':
                new.append(proc.ddpm_step(out, x, t, randn(shape), clip)['sample'])
            else:
                new.append(proc.ddim_step(out, x, t, randn(shape) if eta > 0 else None, eta, clip)['sample'])
        states = new
        if progress:
            bar.update()
    return states
