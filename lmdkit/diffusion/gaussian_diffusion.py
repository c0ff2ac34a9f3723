"""Gaussian diffusion (Ho et al. 2020) with ε / v / x₀ targets, learned-range σ (Nichol & Dhariwal 2021) and
Min-SNR-γ weighting (Hang et al. 2023): the training objective and one reverse step of DDPM or DDIM.

Timesteps index this process's own steps 0 … T−1; a respaced process keeps a subset of an original one and hands
the model the original indices (``timestep_map``), as ADM/DiT do.
"""

from typing import Callable, Dict, Optional, Sequence, Union

import numpy as np
import torch

from .schedules import get_betas, space_timesteps

TARGETS = ('eps', 'v', 'x0')


def _gather(array: np.ndarray, t: torch.Tensor, ndim: int) -> torch.Tensor:
    """array[t] as a float32 tensor shaped (B, 1, …, 1) to broadcast against an ndim-dimensional batch."""
    out = torch.as_tensor(array, device=t.device)[t].float()
    return out.reshape(-1, *([1] * (ndim - 1)))


def mean_flat(x: torch.Tensor, weight: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Per-sample mean over all but the batch dimension; with ``weight`` (broadcastable to x) the weighted mean
    Σ w·x / Σ w."""
    if weight is None:
        return x.flatten(1).mean(1)
    weight = weight.to(x.dtype).expand_as(x)
    return (x * weight).flatten(1).sum(1) / weight.flatten(1).sum(1).clamp_min(1e-12)


def normal_kl(mean1, logvar1, mean2, logvar2) -> torch.Tensor:
    """KL(N(mean1, e^logvar1) ‖ N(mean2, e^logvar2)), elementwise, in nats."""
    return 0.5 * (-1.0 + logvar2 - logvar1 + torch.exp(logvar1 - logvar2) + (mean1 - mean2) ** 2 * torch.exp(-logvar2))


def discretized_gaussian_log_likelihood(x: torch.Tensor, mean: torch.Tensor, log_scale: torch.Tensor) -> torch.Tensor:
    """log P(x) of data in [-1, 1] quantised to 256 bins under N(mean, e^(2·log_scale)) (ADM's decoder NLL)."""

    def cdf(v):  # standard normal CDF, ADM's tanh approximation
        return 0.5 * (1.0 + torch.tanh(np.sqrt(2.0 / np.pi) * (v + 0.044715 * v**3)))

    centered, inv_std = x - mean, torch.exp(-log_scale)
    cdf_plus, cdf_min = cdf(inv_std * (centered + 1 / 255.0)), cdf(inv_std * (centered - 1 / 255.0))
    log_cdf_plus = torch.log(cdf_plus.clamp(min=1e-12))
    log_one_minus_cdf_min = torch.log((1.0 - cdf_min).clamp(min=1e-12))
    log_delta = torch.log((cdf_plus - cdf_min).clamp(min=1e-12))
    return torch.where(x < -0.999, log_cdf_plus, torch.where(x > 0.999, log_one_minus_cdf_min, log_delta))


class GaussianDiffusion:
    """The forward process q(x_t | x₀) and the model's reverse process p(x_{t−1} | x_t).

    Args:
        betas: β_t, t = 0 … T−1.
        target: what the network predicts: 'eps' (noise), 'v' (Salimans & Ho's velocity) or 'x0'.
        learn_sigma: the network also outputs, in as many extra channels, the interpolation v between log β̃_t and
            log β_t for the reverse variance, trained by the variational bound (DiT/MDT's released weights need it).
        min_snr_gamma: Min-SNR-γ loss weights (None = uniform): ε: min(snr, γ)/snr, v: min(snr, γ)/(snr + 1),
            x₀: min(snr, γ).
        timestep_map: original timestep of each step (respaced processes); identity by default.
    """

    def __init__(
        self,
        betas: np.ndarray,
        target: str = 'eps',
        learn_sigma: bool = False,
        min_snr_gamma: Optional[float] = None,
        timestep_map: Optional[Sequence[int]] = None,
    ) -> None:
        if target not in TARGETS:
            raise ValueError(f'target must be one of {TARGETS}, got {target!r}')
        betas = np.asarray(betas, dtype=np.float64)
        if betas.ndim != 1 or not ((betas > 0) & (betas <= 1)).all():
            raise ValueError('betas must be a 1-D array in (0, 1]')
        self.betas, self.target, self.learn_sigma, self.min_snr_gamma = betas, target, learn_sigma, min_snr_gamma
        self.num_steps = len(betas)
        self.timestep_map = np.asarray(timestep_map if timestep_map is not None else np.arange(self.num_steps))
        alphas = 1.0 - betas
        self.alphas_cumprod = np.cumprod(alphas)
        self.alphas_cumprod_prev = np.append(1.0, self.alphas_cumprod[:-1])
        self.sqrt_alphas_cumprod = np.sqrt(self.alphas_cumprod)
        self.sqrt_one_minus_alphas_cumprod = np.sqrt(1.0 - self.alphas_cumprod)
        # posterior q(x_{t-1} | x_t, x_0): variance β̃_t and mean coefficients on x_0 and x_t
        self.posterior_variance = betas * (1.0 - self.alphas_cumprod_prev) / (1.0 - self.alphas_cumprod)
        # β̃_0 = 0: its log is clipped to β̃_1 (ADM)
        self.posterior_log_variance_clipped = np.log(np.append(self.posterior_variance[1], self.posterior_variance[1:]))
        self.posterior_mean_coef1 = betas * np.sqrt(self.alphas_cumprod_prev) / (1.0 - self.alphas_cumprod)
        self.posterior_mean_coef2 = (1.0 - self.alphas_cumprod_prev) * np.sqrt(alphas) / (1.0 - self.alphas_cumprod)

    @classmethod
    def build(
        cls, schedule: str = 'linear', num_steps: int = 1000, respacing: Union[None, str, int] = None, **kwargs
    ) -> 'GaussianDiffusion':
        """A named schedule, optionally respaced (e.g. ``respacing='ddim50'`` or ``250``)."""
        diffusion = cls(get_betas(schedule, num_steps), **kwargs)
        return diffusion.respace(respacing) if respacing else diffusion

    def respace(self, spacing: Union[str, int, Sequence[int]]) -> 'GaussianDiffusion':
        """The process restricted to ``space_timesteps(T, spacing)``: β'_i = 1 − ᾱ_{k_i} / ᾱ_{k_{i−1}}."""
        kept = sorted(space_timesteps(self.num_steps, spacing))
        betas, last = [], 1.0
        for k in kept:
            betas.append(1.0 - self.alphas_cumprod[k] / last)
            last = self.alphas_cumprod[k]
        return GaussianDiffusion(np.array(betas), self.target, self.learn_sigma, self.min_snr_gamma,
                                 self.timestep_map[kept])  # fmt: skip

    # ------------------------------------------------------------------ forward process
    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: Optional[torch.Tensor] = None) -> torch.Tensor:
        """x_t = √ᾱ_t·x₀ + √(1 − ᾱ_t)·ε."""
        noise = torch.randn_like(x0) if noise is None else noise
        return (
            _gather(self.sqrt_alphas_cumprod, t, x0.ndim) * x0
            + _gather(self.sqrt_one_minus_alphas_cumprod, t, x0.ndim) * noise
        )

    def q_posterior(self, x0: torch.Tensor, xt: torch.Tensor, t: torch.Tensor) -> tuple:
        """Mean, variance and clipped log-variance of q(x_{t−1} | x_t, x₀)."""
        mean = _gather(self.posterior_mean_coef1, t, xt.ndim) * x0 + _gather(self.posterior_mean_coef2, t, xt.ndim) * xt
        return (
            mean,
            _gather(self.posterior_variance, t, xt.ndim),
            _gather(self.posterior_log_variance_clipped, t, xt.ndim),
        )

    def snr(self, t: torch.Tensor) -> torch.Tensor:
        """Signal-to-noise ratio ᾱ_t / (1 − ᾱ_t), shape (B,)."""
        return _gather(self.alphas_cumprod / (1.0 - self.alphas_cumprod), t, 1)

    def loss_weight(self, t: torch.Tensor) -> torch.Tensor:
        """Per-sample Min-SNR-γ weight for this process's target (ones without γ), shape (B,)."""
        if self.min_snr_gamma is None:
            return torch.ones(t.shape, device=t.device)
        snr = self.snr(t)
        clipped = snr.clamp(max=self.min_snr_gamma)
        return {'eps': clipped / snr, 'v': clipped / (snr + 1.0), 'x0': clipped}[self.target]

    # ------------------------------------------------------------------ parameterisations
    def training_target(self, x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        if self.target == 'eps':
            return noise
        if self.target == 'x0':
            return x0
        return (
            _gather(self.sqrt_alphas_cumprod, t, x0.ndim) * noise
            - _gather(self.sqrt_one_minus_alphas_cumprod, t, x0.ndim) * x0
        )

    def predict_x0(self, xt: torch.Tensor, t: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """x₀ from the network's prediction of the target."""
        a, s = _gather(self.sqrt_alphas_cumprod, t, xt.ndim), _gather(self.sqrt_one_minus_alphas_cumprod, t, xt.ndim)
        if self.target == 'eps':
            return (xt - s * out) / a
        if self.target == 'v':
            return a * xt - s * out
        return out

    def predict_eps(self, xt: torch.Tensor, t: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
        a, s = _gather(self.sqrt_alphas_cumprod, t, xt.ndim), _gather(self.sqrt_one_minus_alphas_cumprod, t, xt.ndim)
        return (xt - a * x0) / s

    def split_output(self, out: torch.Tensor, channels: int) -> tuple:
        """(prediction, variance values or None) from the network output (B, C or 2C, …)."""
        if not self.learn_sigma:
            if out.shape[1] != channels:
                raise ValueError(f'model gives {out.shape[1]} channels for {channels}-channel data')
            return out, None
        if out.shape[1] != 2 * channels:
            raise ValueError(f'learn_sigma: model must give 2x{channels} channels, got {out.shape[1]}')
        return out[:, :channels], out[:, channels:]

    def p_mean_variance(
        self, out: torch.Tensor, xt: torch.Tensor, t: torch.Tensor, clip_denoised: bool = False
    ) -> dict:
        """Mean and log-variance of p(x_{t−1} | x_t), and the x₀ they come from."""
        pred, var_values = self.split_output(out, xt.shape[1])
        if var_values is None:  # fixed small variance β̃_t (DiT/ADM's default without learned σ)
            log_var = _gather(self.posterior_log_variance_clipped, t, xt.ndim)
        else:
            frac = (var_values + 1) / 2  # network output in [-1, 1] -> interpolation weight
            min_log = _gather(self.posterior_log_variance_clipped, t, xt.ndim)
            max_log = _gather(np.log(self.betas), t, xt.ndim)
            log_var = frac * max_log + (1 - frac) * min_log
        x0 = self.predict_x0(xt, t, pred)
        if clip_denoised:
            x0 = x0.clamp(-1, 1)
        mean, _, _ = self.q_posterior(x0, xt, t)
        return dict(mean=mean, log_variance=log_var, pred_x0=x0)

    # ------------------------------------------------------------------ training
    def training_losses(
        self,
        model_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        x0: torch.Tensor,
        t: torch.Tensor,
        noise: Optional[torch.Tensor] = None,
        weight: Optional[torch.Tensor] = None,
    ) -> Dict[str, torch.Tensor]:
        """Per-sample losses (B,): ``mse`` (Min-SNR weighted), ``vb`` (learned σ only) and their sum ``loss``.

        ``model_fn(x_t, timesteps)`` receives the original timesteps (``timestep_map[t]``). ``weight``
        (broadcastable to x0, e.g. (B, 1, H, W) 0/1) turns each per-sample mean over elements into a weighted mean:
        a loss on masked positions only.
        """
        noise = torch.randn_like(x0) if noise is None else noise
        xt = self.q_sample(x0, t, noise)
        out = model_fn(xt, torch.as_tensor(self.timestep_map, device=t.device)[t])
        return self.losses_from_output(out, x0, xt, t, noise, weight)

    def losses_from_output(
        self,
        out: torch.Tensor,
        x0: torch.Tensor,
        xt: torch.Tensor,
        t: torch.Tensor,
        noise: torch.Tensor,
        weight: Optional[torch.Tensor] = None,
    ) -> Dict[str, torch.Tensor]:
        """The losses of one network output (so a model can run several passes on the same x_t, as MDT does)."""
        pred, var_values = self.split_output(out, x0.shape[1])
        err = (self.training_target(x0, noise, t) - pred) ** 2
        mse = mean_flat(err, weight) * self.loss_weight(t)
        losses = dict(mse=mse)
        if var_values is not None:
            # the VLB trains only the variance: the mean comes from a detached prediction (Improved DDPM)
            frozen = torch.cat([pred.detach(), var_values], dim=1)
            losses['vb'] = self.vb_terms(frozen, x0, xt, t, weight)
        losses['loss'] = mse + losses.get('vb', 0.0)
        return losses

    def vb_terms(
        self,
        out: torch.Tensor,
        x0: torch.Tensor,
        xt: torch.Tensor,
        t: torch.Tensor,
        weight: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """Variational-bound term in bits per dimension: KL(q ‖ p) for t > 0, the decoder NLL at t = 0."""
        true_mean, _, true_log_var = self.q_posterior(x0, xt, t)
        p = self.p_mean_variance(out, xt, t)
        kl = mean_flat(normal_kl(true_mean, true_log_var, p['mean'], p['log_variance']), weight) / np.log(2.0)
        nll = -discretized_gaussian_log_likelihood(x0, p['mean'], 0.5 * p['log_variance'])
        nll = mean_flat(nll, weight) / np.log(2.0)
        return torch.where(t == 0, nll, kl)

    # ------------------------------------------------------------------ reverse steps
    def ddpm_step(self, out: torch.Tensor, xt: torch.Tensor, t: torch.Tensor, noise: torch.Tensor,
                  clip_denoised: bool = False) -> dict:  # fmt: skip
        """Ancestral sampling: x_{t−1} = μ + σ·z (no noise at t = 0)."""
        p = self.p_mean_variance(out, xt, t, clip_denoised)
        nonzero = (t != 0).float().reshape(-1, *([1] * (xt.ndim - 1)))
        return dict(sample=p['mean'] + nonzero * torch.exp(0.5 * p['log_variance']) * noise, pred_x0=p['pred_x0'])

    def ddim_step(self, out: torch.Tensor, xt: torch.Tensor, t: torch.Tensor, noise: Optional[torch.Tensor] = None,
                  eta: float = 0.0, clip_denoised: bool = False) -> dict:  # fmt: skip
        """DDIM (Song et al. 2021, eq. 12): x_{t−1} = √ᾱ_{t−1}·x̂₀ + √(1 − ᾱ_{t−1} − σ²)·ε̂ + σ·z,
        σ = η·√((1 − ᾱ_{t−1})/(1 − ᾱ_t))·√(1 − ᾱ_t/ᾱ_{t−1}); η = 0 is deterministic."""
        pred, _ = self.split_output(out, xt.shape[1])
        x0 = self.predict_x0(xt, t, pred)
        if clip_denoised:
            x0 = x0.clamp(-1, 1)
        eps = self.predict_eps(xt, t, x0)
        a_t = _gather(self.alphas_cumprod, t, xt.ndim)
        a_prev = _gather(self.alphas_cumprod_prev, t, xt.ndim)
        sigma = eta * torch.sqrt((1 - a_prev) / (1 - a_t)) * torch.sqrt(1 - a_t / a_prev)
        sample = torch.sqrt(a_prev) * x0 + torch.sqrt((1 - a_prev - sigma**2).clamp(min=0)) * eps
        if eta > 0:
            nonzero = (t != 0).float().reshape(-1, *([1] * (xt.ndim - 1)))
            sample = sample + nonzero * sigma * (torch.randn_like(xt) if noise is None else noise)
        return dict(sample=sample, pred_x0=x0)
