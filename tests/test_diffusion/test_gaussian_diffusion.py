"""The diffusion core against closed forms and diffusers' schedulers (same settings, same numbers)."""

import math

import numpy as np
import pytest
import torch

from lmdkit.diffusion import GaussianDiffusion, cosine_betas, guidance_scale, guided_model, linear_betas, sample
from lmdkit.diffusion.schedules import space_timesteps

from ..conftest import require


def test_alpha_bar_is_the_product_and_q_moments():
    d = GaussianDiffusion(linear_betas(1000))
    prod = 1.0
    for t in (0, 1, 10, 500, 999):
        prod = np.prod([1 - b for b in d.betas[: t + 1]])
        assert d.alphas_cumprod[t] == pytest.approx(prod, rel=1e-10)
    # q(x_t | x_0) = N(sqrt(abar) x0, (1 - abar) I): Monte-Carlo moments
    torch.manual_seed(0)
    x0 = torch.tensor([0.7, -1.3])
    t = torch.full((200_000,), 300)
    xt = d.q_sample(x0.expand(200_000, 2), t)
    abar = d.alphas_cumprod[300]
    torch.testing.assert_close(xt.mean(0), np.sqrt(abar) * x0, atol=6e-3, rtol=0)
    torch.testing.assert_close(xt.var(0), torch.full((2,), 1 - abar, dtype=torch.float32), atol=6e-3, rtol=0)


@pytest.mark.parametrize('schedule', ['linear', 'cosine'])
def test_alphas_cumprod_match_diffusers(schedule):
    diffusers = require('diffusers')
    ours = GaussianDiffusion(linear_betas(1000) if schedule == 'linear' else cosine_betas(1000))
    ref = diffusers.DDPMScheduler(num_train_timesteps=1000, beta_start=1e-4, beta_end=0.02,
                                  beta_schedule='linear' if schedule == 'linear' else 'squaredcos_cap_v2')  # fmt: skip
    np.testing.assert_allclose(
        ours.alphas_cumprod, ref.alphas_cumprod.double().numpy(), rtol=1e-5, atol=1e-8
    )  # float32


def fake_eps(x, t):
    """A deterministic stand-in for a network: depends on x and on the timestep."""
    return 0.3 * x + 0.1 * torch.sin(t.float() / 50.0).reshape(-1, 1, 1, 1)


def test_ddim_matches_diffusers_over_a_whole_trajectory():
    diffusers = require('diffusers')
    ref = diffusers.DDIMScheduler(num_train_timesteps=1000, beta_start=1e-4, beta_end=0.02, beta_schedule='linear',
                                  clip_sample=False, set_alpha_to_one=True, steps_offset=0,
                                  timestep_spacing='leading')  # fmt: skip
    ref.set_timesteps(50)
    ours = GaussianDiffusion(linear_betas(1000)).respace('ddim50')
    assert sorted(ours.timestep_map.tolist()) == sorted(ref.timesteps.tolist())
    x_ref = x_ours = torch.randn(2, 4, 8, 8, generator=torch.Generator().manual_seed(0))
    for i in range(49, -1, -1):
        t_orig = int(ours.timestep_map[i])
        t = torch.full((2,), i)
        x_ref = ref.step(fake_eps(x_ref, torch.full((2,), t_orig)), t_orig, x_ref, eta=0.0).prev_sample
        x_ours = ours.ddim_step(fake_eps(x_ours, torch.full((2,), t_orig)), x_ours, t)['sample']
    torch.testing.assert_close(x_ours, x_ref, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize('t_orig', [999, 500, 1, 0])
def test_ddpm_step_matches_diffusers(t_orig):
    diffusers = require('diffusers')
    ref = diffusers.DDPMScheduler(num_train_timesteps=1000, beta_start=1e-4, beta_end=0.02, beta_schedule='linear',
                                  variance_type='fixed_small', clip_sample=False)  # fmt: skip
    ours = GaussianDiffusion(linear_betas(1000))
    x = torch.randn(2, 4, 8, 8, generator=torch.Generator().manual_seed(1))
    eps = fake_eps(x, torch.full((2,), t_orig))
    expected = ref.step(eps, t_orig, x, generator=torch.Generator().manual_seed(7)).prev_sample
    noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(7))
    got = ours.ddpm_step(eps, x, torch.full((2,), t_orig), noise)['sample']
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize('target', ['eps', 'v', 'x0'])
def test_targets_invert_and_min_snr_weights(target):
    d = GaussianDiffusion(linear_betas(1000), target=target, min_snr_gamma=5.0)
    x0, noise = torch.randn(3, 2, 4, 4), torch.randn(3, 2, 4, 4)
    t = torch.tensor([0, 400, 999])
    xt = d.q_sample(x0, t, noise)
    torch.testing.assert_close(d.predict_x0(xt, t, d.training_target(x0, noise, t)), x0, atol=2e-4, rtol=1e-4)
    abar = torch.tensor(d.alphas_cumprod[[0, 400, 999]])
    snr = abar / (1 - abar)
    expected = {'eps': torch.minimum(snr, torch.tensor(5.0)) / snr,
                'v': torch.minimum(snr, torch.tensor(5.0)) / (snr + 1),
                'x0': torch.minimum(snr, torch.tensor(5.0))}[target]  # fmt: skip
    torch.testing.assert_close(d.loss_weight(t), expected.float())


def test_vb_is_zero_for_the_true_posterior():
    """learn_sigma: a perfect ε and the variance at its lower end (v = −1 -> β̃_t) give KL(q ‖ p) = 0 for t ≥ 1."""
    d = GaussianDiffusion(linear_betas(1000), learn_sigma=True)
    x0, noise = torch.randn(3, 2, 4, 4), torch.randn(3, 2, 4, 4)
    t = torch.tensor([1, 300, 999])
    xt = d.q_sample(x0, t, noise)
    out = torch.cat([noise, -torch.ones_like(noise)], dim=1)
    losses = d.losses_from_output(out, x0, xt, t, noise)
    torch.testing.assert_close(losses['vb'], torch.zeros(3), atol=1e-5, rtol=0)
    assert losses['mse'].abs().max() < 1e-10
    worse = d.losses_from_output(torch.cat([noise, torch.ones_like(noise)], 1), x0, xt, t, noise)
    assert (worse['vb'][:2] > 0).all()  # at t = 999, β̃ ≈ β: the variance range has closed


def test_respacing_keeps_the_marginals():
    d = GaussianDiffusion(cosine_betas(1000))
    r = d.respace(25)
    kept = sorted(space_timesteps(1000, 25))
    assert len(kept) == 25 and kept[0] == 0 and kept[-1] == 999
    np.testing.assert_allclose(r.alphas_cumprod, d.alphas_cumprod[kept], rtol=1e-10)
    assert space_timesteps(1000, 'ddim50') == set(range(0, 1000, 20))


def test_ddim_eta0_is_deterministic_and_ddpm_is_not():
    d = GaussianDiffusion(linear_betas(100))
    noise = torch.randn(2, 1, 4, 4)
    runs = [sample(d, fake_eps, noise.shape, 'ddim', 10, noise=noise, generator=torch.Generator().manual_seed(s))
            for s in (0, 1)]  # fmt: skip
    torch.testing.assert_close(runs[0], runs[1], atol=0, rtol=0)
    ddpm = [sample(d, fake_eps, noise.shape, 'ddpm', 10, noise=noise, generator=torch.Generator().manual_seed(s))
            for s in (0, 1)]  # fmt: skip
    assert not torch.equal(ddpm[0], ddpm[1])


def test_guidance_on_a_stub_model():
    cond, uncond = torch.full((2, 4, 2, 2), 3.0), torch.full((2, 4, 2, 2), 1.0)
    null = 10

    def stub(x, t, y):
        return torch.where(
            (y == null).reshape(-1, 1, 1, 1), uncond.repeat(2, 1, 1, 1)[: len(y)], cond.repeat(2, 1, 1, 1)[: len(y)]
        )

    labels, x, t = torch.tensor([2, 5]), torch.zeros(2, 4, 2, 2), torch.tensor([0, 0])
    out = guided_model(stub, labels, torch.full_like(labels, null), 4.0, 1000)(x, t)
    torch.testing.assert_close(out, torch.full_like(out, 1.0 + 4.0 * 2.0))  # u + w (c - u)
    torch.testing.assert_close(
        guided_model(stub, labels, torch.full_like(labels, null), 1.0, 1000)(x, t), cond
    )  # scale 1 = conditional
    three = guided_model(stub, labels, torch.full_like(labels, null), 4.0, 1000, guide_channels=3)(x, t)
    assert (three[:, :3] == 9.0).all() and (three[:, 3] == 3.0).all()  # official DiT/MDT: 3 of 4 channels
    t_all = torch.tensor([0, 1000])
    torch.testing.assert_close(guidance_scale(4.0, t_all, 1000, 'power-cosine', 2.0), torch.tensor([4.0, 1.0]))
    torch.testing.assert_close(guidance_scale(4.0, t_all, 1000, 'linear'), torch.tensor([4.0, 1.0]))
    mid = guidance_scale(4.0, torch.tensor([500]), 1000, 'power-cosine', 1.0)
    torch.testing.assert_close(mid, torch.tensor([2.5]))  # (1 - cos(pi/2)) / 2 = 0.5
    with pytest.raises(ValueError, match='guidance schedule'):
        guidance_scale(4.0, t_all, 1000, 'exp')


def test_weighted_losses_are_the_weighted_means_of_the_elementwise_terms():
    """A 0/1 weight (MDT's loss on masked tokens) turns the MSE and the variational bound, NLL at t = 0 included,
    into means over the weighted elements: against the elementwise terms computed here."""
    from lmdkit.diffusion.gaussian_diffusion import discretized_gaussian_log_likelihood, normal_kl

    torch.manual_seed(0)
    diffusion = GaussianDiffusion.build(schedule='linear', num_steps=100, target='eps', learn_sigma=True)
    x0, noise = torch.randn(3, 2, 4, 4).clamp(-1, 1), torch.randn(3, 2, 4, 4)
    t = torch.tensor([0, 10, 99])
    xt = diffusion.q_sample(x0, t, noise)
    out = torch.randn(3, 4, 4, 4)
    weight = (torch.rand(3, 1, 4, 4) > 0.5).float()
    weight[:, :, 0, 0] = 1.0  # at least one element per sample
    losses = diffusion.losses_from_output(out, x0, xt, t, noise, weight)
    w = weight.expand_as(x0)

    def wmean(x):
        return torch.stack([x[i][w[i].bool()].mean() for i in range(3)])

    torch.testing.assert_close(losses['mse'], wmean((noise - out[:, :2]) ** 2))
    true_mean, _, true_log_var = diffusion.q_posterior(x0, xt, t)
    p = diffusion.p_mean_variance(torch.cat([out[:, :2], out[:, 2:]], 1), xt, t)
    kl = wmean(normal_kl(true_mean, true_log_var, p['mean'], p['log_variance'])) / math.log(2.0)
    nll = wmean(-discretized_gaussian_log_likelihood(x0, p['mean'], 0.5 * p['log_variance'])) / math.log(2.0)
    torch.testing.assert_close(losses['vb'], torch.where(t == 0, nll, kl))
    unweighted = diffusion.losses_from_output(out, x0, xt, t, noise)
    torch.testing.assert_close(diffusion.losses_from_output(out, x0, xt, t, noise, torch.ones(3, 1, 4, 4))['loss'],
                               unweighted['loss'])  # fmt: skip
