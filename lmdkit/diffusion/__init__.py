"""Diffusion core: noise schedules, the Gaussian process and its losses, samplers and classifier-free guidance."""

from .gaussian_diffusion import GaussianDiffusion, discretized_gaussian_log_likelihood, normal_kl
from .guidance import guidance_scale, guided_joint_model, guided_model
from .samplers import SAMPLERS, sample, sample_with_token
from .schedules import cosine_betas, get_betas, linear_betas, space_timesteps

__all__ = [
    'SAMPLERS',
    'GaussianDiffusion',
    'cosine_betas',
    'discretized_gaussian_log_likelihood',
    'get_betas',
    'guidance_scale',
    'guided_joint_model',
    'guided_model',
    'linear_betas',
    'normal_kl',
    'sample',
    'sample_with_token',
    'space_timesteps',
]
