"""The projector-training algorithm: two optimisers, disc start, adaptive weight, GAN losses."""

from types import SimpleNamespace

import pytest
import torch
from mmengine.optim import build_optim_wrapper

from lmdkit.models.losses import adaptive_weight, discriminator_loss, generator_loss
from lmdkit.registry import MODELS


def tiny_autoencoder(kind='vq', **kw) -> dict:
    """Autoencoder's example with the VQ-GAN (``'vq'``) or the KL autoencoder (``'kl'``) projector's example."""
    cfg = MODELS.get('Autoencoder').example().cfg
    if kind != 'vq':
        cfg['projector'] = MODELS.get('AutoencoderKLProjector').example().cfg
    return dict(cfg, **kw)


def optim(model):
    return build_optim_wrapper(model, dict(
        constructor='MultiOptimWrapperConstructor',
        projector=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2e-3, betas=(0.5, 0.9))),
        discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2e-3, betas=(0.5, 0.9)))))  # fmt: skip


@pytest.mark.parametrize('kind', ['vq', 'kl'])
def test_training_steps_reduce_reconstruction_loss(kind, images_uint8):
    torch.manual_seed(0)
    model = MODELS.build(tiny_autoencoder(kind))
    wrappers = optim(model)
    assert set(wrappers.keys()) == {'projector', 'discriminator'}
    logs = []
    disc_before = [p.detach().clone() for p in model.discriminator.parameters()]
    for it in range(40):
        model.set_progress(it / 40, it)  # what ProgressHook does before each step
        logs.append(model.train_step(dict(inputs=images_uint8), wrappers))
    assert 'loss_d' not in logs[2] and 'loss_d' in logs[3] and 'loss_g' in logs[3]
    # Noisy once the discriminator starts (iteration 3): compare the mean of the last 10 steps with the first 3.
    # Measured over seeds 0-9, default and ATEN_CPU_CAPABILITY=avx2: ratio 0.62-0.86 (VQ), 0.46-0.78 (KL); seed 0
    # 0.62-0.64 / 0.46-0.49. A single last value (the old bound) ranged 0.41-0.80 and failed on another machine.
    rec = [float(log['loss_rec']) for log in logs]
    assert sum(rec[-10:]) / 10 < 0.9 * sum(rec[:3]) / 3
    assert any(not torch.equal(a, b) for a, b in zip(disc_before, model.discriminator.parameters()))
    if kind == 'vq':
        assert 'perplexity' in logs[-1] and float(logs[-1]['codebook_usage']) > 0
        preds = model(model.data_preprocessor(dict(inputs=images_uint8), False)['inputs'], mode='predict')
        assert preds[0]['pred'].shape == (1, 16, 16) and preds[0]['indices'].shape == (8, 8)
    else:
        assert logs[-1]['loss_kl'] > 0


def test_adaptive_weight_is_the_gradient_norm_ratio():
    torch.manual_seed(0)
    w = torch.randn(3, 3, requires_grad=True)
    x = torch.randn(5, 3)
    rec, gan = (x @ w).pow(2).mean(), -(x @ w).sum() * 0.1
    g_rec = torch.autograd.grad(rec, w, retain_graph=True)[0]
    g_gan = torch.autograd.grad(gan, w, retain_graph=True)[0]
    expected = g_rec.norm() / (g_gan.norm() + 1e-4)
    torch.testing.assert_close(adaptive_weight(rec, gan, w), expected)
    assert not adaptive_weight(rec, gan, w).requires_grad


def test_gan_losses():
    real, fake = torch.tensor([2.0, 0.5]), torch.tensor([-2.0, 0.5])
    # hinge: relu(1 - real) = [0, .5], relu(1 + fake) = [0, 1.5]
    assert float(discriminator_loss(real, fake, 'hinge')) == pytest.approx(0.5 * (0.25 + 0.75))
    assert float(generator_loss(fake, 'hinge')) == pytest.approx(0.75)
    sp = torch.nn.functional.softplus
    assert float(discriminator_loss(real, fake, 'vanilla')) == pytest.approx(
        float(0.5 * (sp(-real).mean() + sp(fake).mean()))
    )
    with pytest.raises(ValueError, match='hinge'):
        generator_loss(fake, 'wgan')


def test_the_discriminator_start_comes_from_the_progress_hook_not_the_message_hub():
    from lmdkit.engine.hooks import ProgressHook
    from lmdkit.models.algorithms import Autoencoder

    assert Autoencoder.training_hooks(tiny_autoencoder('vq')) == [dict(type='ProgressHook')]
    assert Autoencoder.training_hooks(tiny_autoencoder('vq', disc_start=0)) == []  # adversarial from the start
    model = MODELS.build(tiny_autoencoder('vq'))
    runner = SimpleNamespace(model=model, iter=3, max_iters=10, train_loop=object(), cfg={}, optim_wrapper=object())
    ProgressHook().before_train_iter(runner, 3)
    assert model.steps_done == 3 == model.disc_start  # so this step trains the discriminator too
