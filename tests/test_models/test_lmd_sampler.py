"""LMD generation: the reversed-schedule unmasking plan, the latent prior, iterative unmasking and completion."""

from types import SimpleNamespace

import pytest
import torch

from lmdkit.models.algorithms.lmd_sampler import unmasking_schedule
from lmdkit.models.layers import patchify
from lmdkit.registry import MASK_SCHEDULERS, MODELS

from ..conftest import tiny_lmd_model


def test_unmasking_schedule_runs_the_training_schedule_backwards():
    cos = MASK_SCHEDULERS.build(dict(type='CosineMaskScheduler'))
    shares = unmasking_schedule(cos, 6, 0.15)
    assert shares[0] == 0.15 and shares[-1] == 1.0 and all(a < b for a, b in zip(shares, shares[1:]))
    for k in range(1, 6):  # mask share ∝ (r(p) − r_min), p over the ramp [0, 2/3], scaled to start at 0.85
        r = cos(2 / 3 * (1 - k / 6))
        assert 1 - shares[k] == pytest.approx(0.85 * (r - 0.15) / 0.6, abs=1e-5)
    fixed = unmasking_schedule(MASK_SCHEDULERS.build(dict(type='FixedMaskScheduler')), 4, 0.2)
    assert fixed == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])  # no shape to follow: linear
    with pytest.raises(ValueError):
        unmasking_schedule(cos, 0, 0.15)


def test_latent_prior_is_the_per_position_gaussian():
    model = MODELS.build(tiny_lmd_model()).eval()
    batches = [torch.randn(5, 1, 16, 16) * 0.3 + 0.1 for _ in range(3)]
    n = model.fit_latent_prior(iter(batches))
    tokens = patchify(torch.cat(batches), 4)  # identity projector: the latents are the images
    assert n == 15 and int(model.prior_count) == 15
    torch.testing.assert_close(model.prior_mean, tokens.mean(0))
    torch.testing.assert_close(model.prior_std, tokens.std(0), rtol=1e-4, atol=1e-5)


def test_sampling_unmasks_along_the_plan_and_is_reproducible():
    torch.manual_seed(0)
    model = MODELS.build(tiny_lmd_model(sampling=dict(steps=4))).eval()
    with pytest.raises(RuntimeError, match='not fitted'):
        model.sample(2)
    model.fit_latent_prior([torch.randn(8, 1, 16, 16)])
    kept = []
    original = model.backbone.forward
    model.backbone.forward = lambda z, r, noise=None: kept.append(int(16 * (1 - r))) or original(z, r, noise)
    out = model.sample(3, generator=torch.Generator().manual_seed(1))
    shares = unmasking_schedule(model.mask_scheduler, 4, 0.15)
    assert kept == [max(1, round(0.15 * 16))] + [round(s * 16) for s in shares[1:-1]]
    assert out['images'].shape == (3, 1, 16, 16) and out['labels'] is None
    again = model.sample(3, generator=torch.Generator().manual_seed(1))
    assert torch.equal(out['latents'], again['latents'])
    with pytest.raises(ValueError, match='unconditional'):
        model.sample(2, labels=torch.tensor([0, 1]))


def test_completion_keeps_the_visible_tokens():
    torch.manual_seed(0)
    model = MODELS.build(tiny_lmd_model()).eval()
    images = torch.randn(2, 1, 16, 16)
    visible = torch.zeros(2, 16, dtype=torch.bool)
    visible[:, :5] = True
    out = model.complete(images, visible, steps=3)
    got, given = patchify(out['latents'], 4), patchify(images, 4)
    assert torch.equal(got[visible], given[visible])
    assert not torch.allclose(got[~visible], given[~visible])


def test_prior_travels_in_checkpoints_and_old_checkpoints_load():
    model = MODELS.build(tiny_lmd_model())
    model.fit_latent_prior([torch.randn(4, 1, 16, 16)])
    state = model.state_dict()
    fresh = MODELS.build(tiny_lmd_model())
    fresh.load_state_dict(state)
    assert torch.equal(fresh.prior_mean, model.prior_mean) and int(fresh.prior_count) == 4
    old = {k: v for k, v in state.items() if not k.startswith('prior_')}
    fresh = MODELS.build(tiny_lmd_model())
    fresh.load_state_dict(old, strict=True)  # a checkpoint from before the prior existed
    assert int(fresh.prior_count) == 0


def test_latent_prior_hook_fits_once():
    from lmdkit.engine.hooks import LatentPriorHook

    model = MODELS.build(tiny_lmd_model())
    data = [dict(inputs=torch.randint(0, 256, (1, 16, 16), dtype=torch.uint8)) for _ in range(10)]
    logs = []
    runner = SimpleNamespace(model=model, train_dataloader=SimpleNamespace(dataset=data, batch_size=4),
                             logger=SimpleNamespace(info=logs.append))  # fmt: skip
    LatentPriorHook(num_samples=6).before_train(runner)
    assert int(model.prior_count) == 6 and model.training
    expected = patchify(torch.stack([d['inputs'] for d in data[:6]]).float() / 127.5 - 1, 4)
    torch.testing.assert_close(model.prior_mean, expected.mean(0), rtol=1e-5, atol=1e-5)
    LatentPriorHook().before_train(runner)
    assert int(model.prior_count) == 6 and 'already fitted' in logs[-1]
