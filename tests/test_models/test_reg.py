"""REG: REGDiT's forward written out by hand (dense and on a TREAD route), the class-token loss and its alignment
against hand computation, joint sampling against independent runs of the plain sampler, guidance of both outputs,
and a training run that learns."""

import pytest
import torch

from lmdkit.diffusion import GaussianDiffusion, guided_joint_model, sample, sample_with_token
from lmdkit.models.backbones.dit import modulate
from lmdkit.models.layers import unpatchify
from lmdkit.models.token_plans import TokenRoute
from lmdkit.registry import MODELS

from ..conftest import tiny_diffusion_model
from .test_repa import mae_teacher  # noqa: F401  (fixture)


def reg_dit(depth: int = 4, rep_dim: int = 6):
    cfg = dict(MODELS.get('REGDiT').example().cfg, depth=depth, rep_dim=rep_dim)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    for p in model.parameters():
        p.data.normal_(0, 0.1)  # zero-initialised heads and gates would hide the paths
    return model.eval()


def by_hand(model, x, t, y, rep, route=None):
    """REG's forward: the embedded class token (no position) before the patches, every block, the final layer's
    modulated norm, then each head. A route keeps the class token and the route's patches."""
    c = model.condition(t, y)
    h = torch.cat([model.rep_embedder(rep)[:, None], model.x_embedder(x) + model.pos_embed], dim=1)
    full = None
    for i, block in enumerate(model.blocks):
        if route is not None and i == route.start:
            full = h
            idx = route.ids_keep + 1
            h = torch.cat([h[:, :1], torch.stack([h[b, idx[b]] for b in range(len(idx))])], dim=1)
        if route is not None and i == route.stop:
            joined = full.clone()
            joined[:, 0] = h[:, 0]
            for b in range(len(h)):
                joined[b, route.ids_keep[b] + 1] = h[b, 1:]
            h = joined
        h = block(h, c)
    shift, scale = model.final_layer.adaLN_modulation(c).chunk(2, dim=1)
    h = modulate(model.final_layer.norm_final(h), shift, scale)
    out = unpatchify(model.final_layer.linear(h[:, 1:]), 2, model.grid_size, model.out_channels)
    return out, model.rep_head(h[:, 0])


def test_regdit_forward_is_the_class_token_prepended_to_the_patches():
    model = reg_dit()
    x, t, y, rep = torch.randn(3, 1, 8, 8), torch.tensor([1, 50, 99]), torch.tensor([0, 4, 10]), torch.randn(3, 6)
    out, rep_out, tokens = model.forward_with_rep(x, t, y, rep, depth=2)
    ref_out, ref_rep = by_hand(model, x, t, y, rep)
    torch.testing.assert_close(out, ref_out)
    torch.testing.assert_close(rep_out, ref_rep)
    assert out.shape == (3, 2, 8, 8) and rep_out.shape == (3, 6) and tokens.shape == (3, 17, 32)
    with pytest.raises(TypeError, match='forward_with_rep'):
        model(x, t, y)
    with pytest.raises(ValueError, match='rep must be'):
        model.forward_with_rep(x, t, y, torch.randn(3, 5))
    fresh = MODELS.build(MODELS.get('REGDiT').example().cfg)
    assert fresh.rep_head.weight.abs().sum() == 0  # REG: the class head starts at zero
    assert fresh.forward_with_rep(x, t, y, rep)[1].abs().sum() == 0


def test_regdit_on_a_route_keeps_the_class_token_in_every_block():
    model = reg_dit()
    x, t, y, rep = torch.randn(2, 1, 8, 8), torch.tensor([3, 70]), torch.tensor([1, 2]), torch.randn(2, 6)
    route = TokenRoute(torch.stack([torch.randperm(16)[:6] for _ in range(2)]), start=1, stop=3)
    out, rep_out, tokens = model.forward_with_rep(x, t, y, rep, route=route, depth=2)
    ref_out, ref_rep = by_hand(model, x, t, y, rep, route)
    torch.testing.assert_close(out, ref_out)
    torch.testing.assert_close(rep_out, ref_rep)
    assert tokens.shape == (2, 7, 32)  # block 2 sees the class token and the 6 kept patches


def reg_model(teacher: dict, **overrides):
    overrides.setdefault('denoiser', dict(MODELS.get('REGDiT').example().cfg, depth=4, rep_dim=16))  # teacher: 16
    cfg = tiny_diffusion_model(alignment=dict(type='REPALoss', teacher=teacher, depth=2, projector_dim=8),
                               **overrides)  # fmt: skip
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    for p in model.denoiser.parameters():
        p.data.normal_(0, 0.1)
    return model


def test_reg_step_denoises_the_teacher_class_token_and_aligns_it_first(mae_teacher):  # noqa: F811
    model = reg_model(mae_teacher[0], rep_loss_weight=0.25)
    images, y = torch.randn(4, 1, 8, 8), torch.tensor([0, 1, 2, 3])
    torch.manual_seed(5)
    out = model.loss(images, dict(gt_label=y))
    torch.manual_seed(5)  # the step's draws, in order: timesteps, the class token's noise, the latents' noise
    t = torch.randint(0, 100, (4,))
    feats = mae_teacher[1].extract_feat((images * 127.5 + 127.5 - 100.0) / 50.0)  # (B, 1 + N, 16)
    cls = feats[:, 0]
    rep_noise = torch.randn_like(cls)
    abar = torch.as_tensor(model.diffusion.alphas_cumprod, dtype=torch.float32)[t].view(4, 1)
    rep_t = abar.sqrt() * cls + (1 - abar).sqrt() * rep_noise
    x_t = model.diffusion.q_sample(images, t, torch.randn_like(images))
    _, rep_out, tokens = model.denoiser.forward_with_rep(x_t, t, y, rep_t, depth=2)
    torch.testing.assert_close(out['loss_rep'], 0.25 * ((rep_noise - rep_out) ** 2).mean())  # ε target
    torch.testing.assert_close(out['loss_repa'], model.alignment(tokens, feats))  # class token first, then patches
    sum(v for k, v in out.items() if k.startswith('loss')).backward()
    assert model.denoiser.rep_embedder[0].weight.grad.abs().sum() > 0
    assert model.denoiser.rep_head.weight.grad.abs().sum() > 0


def test_reg_is_refused_without_a_matching_teacher(mae_teacher):  # noqa: F811
    denoiser = dict(MODELS.get('REGDiT').example().cfg, rep_dim=16)
    with pytest.raises(ValueError, match='model.alignment'):
        MODELS.build(tiny_diffusion_model(denoiser=denoiser))
    with pytest.raises(ValueError, match='rep_loss_weight weights the class-token loss'):
        MODELS.build(tiny_diffusion_model(rep_loss_weight=0.1))  # a plain DiT has no class token
    with pytest.raises(ValueError, match='rep_dim 6 must equal'):
        reg_model(mae_teacher[0], denoiser=MODELS.get('REGDiT').example().cfg)


def test_joint_sampling_steps_each_state_as_the_plain_sampler_would():
    """With a model whose two outputs do not interact, the joint run equals two independent runs of ``sample``:
    the latents on the learned-σ process, the token on the same process without learned σ."""
    diffusion = GaussianDiffusion.build('linear', 100, learn_sigma=True)
    plain = GaussianDiffusion.build('linear', 100)
    x0, r0 = torch.randn(2, 1, 4, 4), torch.randn(2, 3)

    def latent(x, t):
        return torch.cat([0.3 * x + 0.01 * t.view(-1, 1, 1, 1), torch.tanh(x)], dim=1)

    def token(r, t):
        return 0.5 * r - 0.002 * t.view(-1, 1)

    for sampler in ('ddim', 'ddpm'):
        kw = dict(sampler=sampler, steps=7, eta=0.0)
        gen = torch.Generator().manual_seed(1)
        x, r = sample_with_token(diffusion, lambda x, r, t: (latent(x, t), token(r, t)), (2, 1, 4, 4), 3,
                                 noise=x0, token_noise=r0, generator=gen, **kw)  # fmt: skip
        if sampler == 'ddim':  # deterministic: the independent runs must agree exactly
            torch.testing.assert_close(x, sample(diffusion, latent, (2, 1, 4, 4), noise=x0, **kw))
            torch.testing.assert_close(r, sample(plain, token, (2, 3), noise=r0, **kw))
        else:
            assert x.shape == (2, 1, 4, 4) and r.shape == (2, 3) and torch.isfinite(r).all()


def test_joint_guidance_guides_both_outputs():
    def stub(x, r, t, y):
        return x + y.view(-1, 1, 1, 1).float(), r * (1 + y.view(-1, 1).float())

    labels, x, r, t = torch.tensor([1, 2]), torch.randn(2, 4, 2, 2), torch.randn(2, 3), torch.tensor([10, 20])
    out, r_out = guided_joint_model(stub, labels, torch.full_like(labels, 9), 3.0, 100, guide_channels=3)(x, r, t)
    cond, r_cond = stub(x, r, t, labels)
    uncond, r_uncond = stub(x, r, t, torch.full_like(labels, 9))
    torch.testing.assert_close(out[:, :3], uncond[:, :3] + 3.0 * (cond[:, :3] - uncond[:, :3]))
    torch.testing.assert_close(out[:, 3:], cond[:, 3:])
    torch.testing.assert_close(r_out, r_uncond + 3.0 * (r_cond - r_uncond))


def test_reg_samples_images_and_class_tokens_and_learns(mae_teacher):  # noqa: F811
    model = reg_model(mae_teacher[0], val_sampling=dict(steps=3))
    out = model.sample(4, generator=torch.Generator().manual_seed(0), steps=3)
    assert out['images'].shape == (4, 1, 8, 8) and out['rep'].shape == (4, 16)
    data = model.data_preprocessor(dict(inputs=torch.randint(0, 255, (4, 1, 8, 8)).float(),
                                        data_samples=dict(gt_label=torch.tensor([0, 1, 2, 3]),
                                                          sample_idx=torch.arange(4))), True)  # fmt: skip
    model.eval()
    first, again = model.predict(**data), model.predict(**data)  # seeded per item: validation is repeatable
    assert [r['diffusion_mse'] for r in first] == [r['diffusion_mse'] for r in again]
    assert all((a['gen_image'] == b['gen_image']).all() for a, b in zip(first, again))
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=3e-3)
    rep_losses = []
    for _ in range(30):
        torch.manual_seed(0)
        out = model(**data, mode='loss')
        opt.zero_grad()
        sum(v for k, v in out.items() if k.startswith('loss')).backward()
        opt.step()
        rep_losses.append(float(out['loss_rep']))
    assert rep_losses[-1] < 0.5 * rep_losses[0]
