"""SPRINT: the structured token drop, the sparse-dense fusion and path drop against the computation written out,
path-drop guidance's weak branch, and a training step that learns."""

import pytest
import torch

from lmdkit.models.backbones import SprintDiT
from lmdkit.models.token_plans import TokenRoute
from lmdkit.registry import MODELS, TOKEN_PLANS

from ..conftest import fixed_batch_losses, tiny_diffusion_model

N = 16  # tokens of the tiny model: 8x8 inputs, patch 2, a 4x4 grid


def tiny_sprint(path_drop_prob: float = 0.1) -> SprintDiT:
    cfg = dict(SprintDiT.example().cfg, class_dropout_prob=0.0, path_drop_prob=path_drop_prob)
    model = MODELS.build(cfg)
    torch.manual_seed(0)
    for p in model.parameters():
        p.data.normal_(0, 0.2)
    return model.eval()


def inputs():
    g = torch.Generator().manual_seed(1)
    return torch.randn(2, 1, 8, 8, generator=g), torch.tensor([3, 90]), torch.tensor([1, 7])


def written_out(model, x, t, y, keep=None, drop=(False, False)):
    """Encoder on all tokens, middle on ``keep`` (all if None), mask token elsewhere (everywhere for dropped
    samples), fusion [middle, encoder] -> renoise_linear, decoder, head: per sample, by hand."""
    c = model.condition(t, y)
    h = model.x_embedder(x) + model.pos_embed
    first, stop = model.middle
    for block in model.blocks[:first]:
        h = block(h, c)
    outs = []
    for b in range(2):
        idx = keep[b] if keep is not None else torch.arange(N)
        m = h[b : b + 1, idx]
        for block in model.blocks[first:stop]:
            m = block(m, c[b : b + 1])
        full = model.mask_token.expand(1, N, -1).clone()
        if not drop[b]:
            full[:, idx] = m
        fused = model.renoise_linear(torch.cat([full, h[b : b + 1]], dim=-1))
        for block in model.blocks[stop:]:
            fused = block(fused, c[b : b + 1])
        outs.append(model.final_layer(fused, c[b : b + 1]))
    from lmdkit.models.layers import unpatchify

    return unpatchify(torch.cat(outs), model.patch_size, model.grid_size, model.out_channels)


def test_structured_drop_keeps_one_random_token_per_2x2_group():
    plan = TOKEN_PLANS.build(dict(type='SparseDenseRouting', start=1, stop=3))
    route = plan.route(3, 64, 0.75, torch.device('cpu'))
    assert route.ids_keep.shape == (3, 16) and (route.start, route.stop) == (1, 3)
    for ids in route.ids_keep:
        groups = sorted(((i // 8) // 2 * 4 + (i % 8) // 2).item() for i in ids)
        assert groups == list(range(16))  # each of the 16 groups exactly once
    half = plan.route(2, 64, 0.5, torch.device('cpu')).ids_keep
    for ids in half:
        groups = torch.bincount((ids // 8) // 2 * 4 + (ids % 8) // 2, minlength=16)
        assert (groups == 2).all() and len(set(ids.tolist())) == 32
    assert plan.route(2, 64, 0.0, torch.device('cpu')) is None
    assert TOKEN_PLANS.build(dict(type='SparseDenseRouting', structured=False)).num_kept(64, 0.3) == 44
    with pytest.raises(ValueError, match='structured sampling is defined at ratios'):
        plan.route(2, 64, 0.3, torch.device('cpu'))


def test_sparse_middle_and_fusion_equal_the_computation_written_out():
    model = tiny_sprint()
    x, t, y = inputs()
    keep = torch.stack([torch.randperm(N, generator=torch.Generator().manual_seed(b))[:6] for b in range(2)])
    torch.testing.assert_close(model(x, t, y, route=TokenRoute(keep, 1, 3)), written_out(model, x, t, y, keep))
    torch.testing.assert_close(model(x, t, y), written_out(model, x, t, y))  # dense: the fusion still runs
    dropped = model(x, t, y, path_drop=torch.tensor([True, False]))
    torch.testing.assert_close(dropped, written_out(model, x, t, y, drop=(True, False)))
    with pytest.raises(ValueError, match='must span its middle'):
        model(x, t, y, route=TokenRoute(keep, 0, 3))
    with pytest.raises(ValueError, match='no sparse path to drop'):
        tiny_sprint(path_drop_prob=0.0)(x, t, y, path_drop=torch.tensor([True, False]))


def test_a_path_dropped_sample_does_not_depend_on_the_middle_blocks():
    model = tiny_sprint()
    x, t, y = inputs()
    drop = torch.tensor([True, False])
    before = model(x, t, y, path_drop=drop)  # sampling: the dropped row skips the middle
    seen = []
    model.blocks[1].register_forward_hook(lambda m, a, out: seen.append(a[0].shape[0]))
    model(x, t, y, path_drop=drop)
    assert seen == [1]  # the middle ran on the other row only
    for p in model.blocks[1].parameters():
        p.data.add_(1.0)
    after = model(x, t, y, path_drop=drop)
    torch.testing.assert_close(after[0], before[0])
    assert not torch.allclose(after[1], before[1])


def test_training_drops_whole_paths_at_the_configured_rate():
    model = tiny_sprint(path_drop_prob=0.5).train()
    x, t, y = inputs()
    torch.manual_seed(0)
    out = model(x, t, y)
    torch.manual_seed(0)
    drop = torch.rand(2) < 0.5
    assert drop.tolist() == [True, False]  # this seed drops one of the two: both cases are checked
    torch.testing.assert_close(out, written_out(model, x, t, y, drop=tuple(drop.tolist())))


def test_path_drop_guidance_drops_the_middle_of_the_null_label_branch_only():
    sampling = dict(sampler='ddim', steps=2, cfg_scale=2.0, path_drop_guidance=True)
    cfg = tiny_diffusion_model(denoiser=dict(SprintDiT.example().cfg, path_drop_prob=0.1), sampling=sampling)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    calls = []
    forward = model.denoiser.forward
    model.denoiser.forward = lambda x, t, y, **kw: (
        calls.append((y.clone(), kw['path_drop'].clone())) or forward(x, t, y, **kw)
    )
    model.sample(2, labels=torch.tensor([3, 4]), decode=False)
    null = model.denoiser.null_label
    assert calls and all(torch.equal(drop, y == null) for y, drop in calls)
    assert all(drop.sum() == 2 for _, drop in calls)  # the two null-label rows of the doubled batch
    with pytest.raises(ValueError, match='path_drop_guidance needs a denoiser trained with path drop'):
        MODELS.build(tiny_diffusion_model(sampling=dict(path_drop_guidance=True)))
    with pytest.raises(ValueError, match='path_drop_guidance needs a denoiser trained with path drop'):
        MODELS.build(tiny_diffusion_model(val_sampling=dict(path_drop_guidance=True)))
    plan = dict(type='SparseDenseRouting', start=1, stop=2)
    with pytest.raises(ValueError, match='does not span the SprintDiT middle: set start=1, stop=3'):
        MODELS.build(tiny_diffusion_model(denoiser=SprintDiT.example().cfg, token_plan=plan,
                                          mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.75)))  # fmt: skip


def test_sprint_trains_with_its_token_plan():
    cfg = tiny_diffusion_model(denoiser=dict(SprintDiT.example().cfg, path_drop_prob=0.1),
                               mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.75),
                               token_plan=dict(type='SparseDenseRouting', start=1, stop=3))  # fmt: skip
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    images = torch.randint(0, 255, (4, 1, 8, 8)).float()
    seen = []
    model.denoiser.blocks[1].register_forward_hook(lambda m, a, out: seen.append(a[0].shape[1]))
    losses = fixed_batch_losses(model, images, steps=40, labels=torch.tensor([0, 1, 2, 3]))
    assert seen[0] == 4 and losses[-1] < 0.7 * losses[0]  # the middle sees 1 token of each 2x2 group
