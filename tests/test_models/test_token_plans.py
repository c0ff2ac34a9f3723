"""Token plans (TREAD's routing, MicroDiT's deferred masking): which tokens each DiT block sees, equality with the
dense DiT where a plan drops nothing, and the loss of routes whose tokens never rejoin."""

import pytest
import torch

from lmdkit.models.layers import patch_mask_to_image, unpatchify
from lmdkit.models.token_plans import DeferredMasking, TokenRoute, TokenRouting
from lmdkit.registry import MODELS, TOKEN_PLANS

from ..conftest import tiny_diffusion_model

N = 16  # tokens of the tiny DiT: 8x8 inputs, patch 2


def tiny_dit(depth: int = 4, dtype=torch.float32) -> torch.nn.Module:
    """The tiny DiT with every weight random (not adaLN-Zero), so each block changes its tokens."""
    model = MODELS.build(dict(MODELS.get('DiT').example().cfg, depth=depth, class_dropout_prob=0.0)).to(dtype)
    torch.manual_seed(0)
    for p in model.parameters():
        p.data.normal_(0, 0.2)
    return model.eval()


def inputs(dtype=torch.float32):
    g = torch.Generator().manual_seed(1)
    return torch.randn(3, 1, 8, 8, generator=g, dtype=dtype), torch.tensor([3, 50, 90]), torch.tensor([1, 4, 7])


def routed_loss_and_draws(denoiser: dict, ratio: float, **model_cfg):
    """A tiny MaskedDiffusion with ``denoiser`` trained at ``ratio`` on a token plan: its ``loss`` outputs on a
    seeded step, and that step's draws redone in the algorithm's order (timesteps, the plan's token noise, the
    diffusion noise) so a test can compute the loss by hand: (outputs, model, z, y, t, ids_keep, noise)."""
    cfg = tiny_diffusion_model(denoiser=denoiser, mask_scheduler=dict(type='FixedMaskScheduler', ratio=ratio),
                               **model_cfg)  # fmt: skip
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    for p in model.denoiser.parameters():
        p.data.normal_(0, 0.1)
    z, y = torch.randn(4, 1, 8, 8), torch.tensor([0, 1, 2, 3])
    torch.manual_seed(5)
    out = model.loss(z, dict(gt_label=y))
    torch.manual_seed(5)
    t = torch.randint(0, 100, (4,))
    ids_keep = torch.argsort(torch.rand(4, N), dim=1)[:, : model.token_plan.num_kept(N, ratio)]
    return out, model, z, y, t, ids_keep, torch.randn_like(z)


def tokens_seen(model, route):
    """How many tokens each block receives in one forward pass on ``route``."""
    seen = []
    hooks = [b.register_forward_hook(lambda m, args, out: seen.append(args[0].shape[1])) for b in model.blocks]
    model(*inputs(), route=route)
    for h in hooks:
        h.remove()
    return seen


def test_plans_build_from_the_registry_and_round_as_their_official_code():
    tread = TOKEN_PLANS.build(dict(type='TokenRouting'))
    assert (tread.start, tread.stop, tread.fp32_after_rejoin) == (2, 9, True)  # CompVis/tread: layers 2..8
    assert tread.num_kept(10, 0.55) == 5  # int(N·r) = 5 routed
    deferred = TOKEN_PLANS.build(dict(type='DeferredMasking', start=3))
    assert deferred.num_kept(10, 0.55) == 4  # MAE's int(N·(1 - r))
    assert tread.route(2, N, 0.0, torch.device('cpu')) is None  # nothing dropped: the dense pass


def test_blocks_see_the_planned_tokens():
    model = tiny_dit()
    tread = TokenRouting(start=1, stop=3).route(3, N, 0.5, torch.device('cpu'))
    assert tokens_seen(model, tread) == [16, 8, 8, 16]
    deferred = DeferredMasking(start=2).route(3, N, 0.75, torch.device('cpu'))
    assert tokens_seen(model, deferred) == [16, 16, 4, 4]


@pytest.mark.parametrize('start, stop', [(1, 3), (2, 4)])  # (2, 4): the routed tokens rejoin after the last block
def test_tread_equals_the_computation_written_out(start, stop):
    model = tiny_dit()
    x, t, y = inputs()
    route = TokenRouting(start=start, stop=stop, fp32_after_rejoin=False).route(3, N, 0.5, torch.device('cpu'))
    out = model(x, t, y, route=route)
    # by hand: blocks before start on all tokens, start..stop-1 on the kept ones, the routed ones rejoin unchanged
    c = model.condition(t, y)
    h = model.x_embedder(x) + model.pos_embed  # (B, N, D)
    for block in model.blocks[:start]:
        h = block(h, c)
    kept = torch.stack([h[b, route.ids_keep[b]] for b in range(3)])  # (B, K, D)
    for block in model.blocks[start:stop]:
        kept = block(kept, c)
    joined = h.clone()
    for b in range(3):
        joined[b, route.ids_keep[b]] = kept[b]
    for block in model.blocks[stop:]:
        joined = block(joined, c)
    ref = unpatchify(model.final_layer(joined, c), 2, (4, 4), model.out_channels)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(out, model(x, t, y))  # the route changed the output


def test_keeping_every_token_equals_the_dense_dit():
    model = tiny_dit()
    x, t, y = inputs()
    ids = torch.stack([torch.randperm(N, generator=torch.Generator().manual_seed(b)) for b in range(3)])  # shuffled
    for route in (TokenRoute(ids, 1, 3), TokenRoute(ids, 0, 4), TokenRoute(ids, 1, None)):
        torch.testing.assert_close(model(x, t, y, route=route), model(x, t, y), rtol=1e-4, atol=1e-5)


def test_a_plan_at_ratio_zero_is_the_dense_dit_step_exactly():
    def loss(token_plan):
        cfg = tiny_diffusion_model(denoiser=dict(MODELS.get('DiT').example().cfg, depth=4))
        if token_plan is not None:
            cfg.update(mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.0), token_plan=token_plan)
        torch.manual_seed(0)
        model = MODELS.build(cfg)
        for p in model.denoiser.parameters():
            p.data.normal_(0, 0.1)
        torch.manual_seed(1)
        z = torch.randn(4, 1, 8, 8)
        return model.loss(z, dict(gt_label=torch.tensor([0, 1, 2, 3])))['loss']

    dense = loss(None)
    assert torch.equal(loss(dict(type='TokenRouting', start=1, stop=3)), dense)
    assert torch.equal(loss(dict(type='DeferredMasking', start=1)), dense)


def test_deferred_masking_trains_on_the_kept_tokens_only():
    denoiser = dict(MODELS.get('DiT').example().cfg, depth=3, learn_sigma=False, class_dropout_prob=0.0)
    out, model, z, y, t, ids_keep, noise = routed_loss_and_draws(
        denoiser, 0.75, token_plan=dict(type='DeferredMasking', start=0)
    )
    loss = out['loss']
    assert ids_keep.shape == (4, 4)  # 25 % of 16 tokens kept
    xt = model.diffusion.q_sample(z, t, noise).requires_grad_(True)
    out = model.denoiser(xt, t, y, route=TokenRoute(ids_keep, 0, None))
    kept = patch_mask_to_image(torch.zeros(4, N).scatter_(1, ids_keep, 1.0), (4, 4), 2)  # (B, 1, 8, 8)
    ref = (((out - noise) ** 2 * kept).sum((1, 2, 3)) / kept.sum((1, 2, 3))).mean()
    torch.testing.assert_close(loss, ref)
    assert torch.equal(out * (1 - kept), torch.zeros_like(out))  # dropped tokens are not predicted
    (grad,) = torch.autograd.grad(ref, xt)
    assert torch.equal(grad * (1 - kept), torch.zeros_like(grad))  # dropped at the input: nothing reaches them
    assert (grad * kept).abs().sum() > 0


def test_tread_runs_the_block_after_the_rejoin_in_full_precision():
    model = tiny_dit(dtype=torch.float32)
    dtypes = {}

    def record(i):
        def hook(module, args, out):
            dtypes[i] = out.dtype  # returns None: the output stays as it is

        return hook

    for i in (1, 3):
        model.blocks[i].mlp.fc1.register_forward_hook(record(i))
    route = TokenRouting(start=1, stop=3).route(3, N, 0.5, torch.device('cpu'))
    x, t, y = inputs(torch.float32)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = model(x, t, y, route=route)
    assert dtypes == {1: torch.bfloat16, 3: torch.float32} and torch.isfinite(out).all()


def test_tread_training_lowers_the_loss():
    cfg = tiny_diffusion_model(denoiser=dict(MODELS.get('DiT').example().cfg, depth=4),
                               mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.5),
                               token_plan=dict(type='TokenRouting', start=1, stop=3))  # fmt: skip
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    z, y = torch.randn(16, 1, 8, 8), torch.arange(16) % 10

    def fixed_loss():
        torch.manual_seed(123)
        with torch.no_grad():
            return float(model.loss(z, dict(gt_label=y))['loss'])

    before = fixed_loss()
    opt = torch.optim.AdamW(model.denoiser.parameters(), lr=3e-3)
    for step in range(20):  # ~0.43 of the first loss after 20 steps
        torch.manual_seed(step)
        loss = model.loss(z, dict(gt_label=y))['loss']
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert fixed_loss() < 0.7 * before


def test_token_plan_errors_name_the_fix():
    plan = dict(type='TokenRouting', start=1, stop=3)
    with pytest.raises(ValueError, match='set model.mask_scheduler'):
        MODELS.build(tiny_diffusion_model(token_plan=plan))
    with pytest.raises(ValueError, match='has 2 blocks'):
        MODELS.build(tiny_diffusion_model(mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.5),
                                          token_plan=dict(type='TokenRouting')))  # fmt: skip
    with pytest.raises(ValueError, match="does not fit MDT's masked pass"):
        MODELS.build(tiny_diffusion_model(denoiser=MODELS.get('MDT').example().cfg,
                                          mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.5),
                                          token_plan=plan))  # fmt: skip
    with pytest.raises(ValueError, match='start <= stop'):
        TokenRouting(start=3, stop=1)
    with pytest.raises(ValueError, match='does not fit a DiT of 4 blocks'):
        tiny_dit()(*inputs(), route=TokenRoute(torch.zeros(3, 2, dtype=torch.long), 1, 5))
    with pytest.raises(ValueError, match='drops for good'):  # TREAD's tokens rejoin: nothing for an MAE loss
        MODELS.build(tiny_diffusion_model(denoiser=dict(MODELS.get('MaskDiT').example().cfg, depth=4),
                                          mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.5), token_plan=plan,
                                          mae_loss=dict(type='MaskedMSELoss')))  # fmt: skip
    with pytest.raises(ValueError, match='drops for good'):  # DiT predicts nothing at dropped tokens
        MODELS.build(tiny_diffusion_model(mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.5),
                                          token_plan=dict(type='DeferredMasking', start=0),
                                          mae_loss=dict(type='MaskedMSELoss')))  # fmt: skip
