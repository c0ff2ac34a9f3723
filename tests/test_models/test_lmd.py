"""The LMD algorithm: loss against an independent computation, masked-only gradients, overfitting, modes."""

import pytest
import torch
from mmengine.config import Config

from lmdkit.models.layers import patch_mask_to_image, patchify, random_masking
from lmdkit.registry import MODELS

from ..conftest import QUICK_START, tiny_lmd_model


def build(**overrides):
    torch.manual_seed(0)
    return MODELS.build(tiny_lmd_model(**overrides))


def preprocess(model, images):
    return model.data_preprocessor(dict(inputs=images), True)['inputs']


def test_loss_equals_mean_mse_over_masked_patches(images_uint8):
    model = build()
    inputs = preprocess(model, images_uint8)
    noise = torch.rand(8, 16)
    tokens, mask, ids_restore = model.backbone(inputs, 0.5, noise)
    pred = model.neck(tokens, ids_restore)
    target = patchify(inputs, 4)
    # independent computation: loop over samples and masked patches
    errors = [((pred[b, i] - target[b, i]) ** 2).mean() for b in range(8) for i in range(16) if mask[b, i] == 1]
    expected = torch.stack(errors).mean()
    got = model.loss_module(pred, target, mask)
    torch.testing.assert_close(got, expected)


def test_loss_ignores_predictions_at_visible_patches(images_uint8):
    model = build()
    inputs = preprocess(model, images_uint8)
    tokens, mask, ids_restore = model.backbone(inputs, 0.75)
    pred = model.neck(tokens, ids_restore).detach().requires_grad_(True)
    model.loss_module(pred, patchify(inputs, 4), mask).backward()
    visible_grad = pred.grad[mask == 0]
    masked_grad = pred.grad[mask == 1]
    assert visible_grad.abs().max() == 0
    assert masked_grad.abs().sum() > 0


def test_norm_pix_target_is_standardised_per_patch(images_uint8):
    model = build(loss=dict(type='MaskedMSELoss', norm_pix=True))
    inputs = preprocess(model, images_uint8)
    target = patchify(inputs, 4)
    pred = torch.zeros_like(target)
    mask = torch.ones(target.shape[:2])
    # with a zero prediction the loss is the mean square of the standardised target: (P-1)/P per patch (+eps)
    p = target.shape[-1]
    keep = target.var(-1) > 1e-3  # flat background patches are dominated by eps
    per_patch = ((target - target.mean(-1, keepdim=True)) ** 2 / (target.var(-1, keepdim=True) + 1e-6)).mean(-1)
    torch.testing.assert_close(per_patch[keep], torch.full_like(per_patch[keep], (p - 1) / p), atol=1e-3, rtol=0)
    loss = model.loss_module(pred, target, mask)
    torch.testing.assert_close(loss, per_patch.mean())


def test_overfitting_eight_images(images_uint8):
    model = build(mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.5))
    inputs = preprocess(model, images_uint8)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
    torch.manual_seed(0)
    noise = torch.rand(8, 16)  # fixed masks: the question is whether the model can fit, not generalise
    losses = []
    for _ in range(300):
        tokens, mask, ids_restore = model.backbone(inputs, 0.5, noise)
        loss = model.loss_module(model.neck(tokens, ids_restore), patchify(inputs, 4), mask)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0], f'loss went from {losses[0]:.4f} to {losses[-1]:.4f}'


def test_set_progress_drives_the_training_ratio():
    model = build()
    assert model.mask_ratio == pytest.approx(0.15)
    assert model.set_progress(1.0, 100) == pytest.approx(0.75) and model.mask_ratio == pytest.approx(0.75)


def test_modes_and_reconstruct(images_uint8):
    model = build().eval()
    inputs = preprocess(model, images_uint8)
    feats = model(inputs, mode='tensor')
    assert feats.shape == (8, 17, 32)
    outs = model(inputs, dict(sample_idx=torch.arange(8)), mode='predict')
    again = model(inputs, dict(sample_idx=torch.arange(8)), mode='predict')
    assert [o['mse'] for o in outs] == [o['mse'] for o in again], 'validation masks must be fixed per sample'
    assert all(o['mse'] > 0 and o['target_var'] > 0 for o in outs)
    rec = model.reconstruct(inputs, 0.75)
    assert set(rec) == {'input', 'masked', 'reconstruction', 'prediction', 'mask'}
    assert rec['reconstruction'].shape == inputs.shape and rec['mask'].shape == (8, 1, 16, 16)
    assert rec['mask'].mean().item() == pytest.approx(0.75)
    visible = rec['mask'] == 0  # visible pixels are copied from the input
    torch.testing.assert_close(rec['reconstruction'][visible.expand_as(inputs)], inputs[visible.expand_as(inputs)])
    with pytest.raises(ValueError, match='mode'):
        model(inputs, mode='bogus')


def test_channel_mismatch_is_explained():
    with pytest.raises(ValueError, match='in_channels'):
        build(projector=dict(type='IdentityProjector', in_channels=3))


def test_pixel_loss_goes_through_the_projector(images_uint8):
    model = build(pixel_loss_weight=1.0)
    losses = model(preprocess(model, images_uint8), mode='loss')
    assert set(losses) == {'loss', 'loss_pixel'} and losses['loss_pixel'] > 0
    sum(losses.values()).backward()
    assert model.backbone.cls_token.grad is not None


def test_mae_is_lmd_with_a_fixed_ratio():
    cfg = Config.fromfile(QUICK_START.replace('lmd/lmd_vitp_fmnist-mini_cos', 'mae/mae_vitp_fmnist-mini'))
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'LMD' and type(model.projector).__name__ == 'IdentityProjector'
    assert {model.set_progress(p, 0) for p in (0.0, 0.5, 1.0)} == {0.75}


def test_wo_mae_unet_sees_masked_cells_zeroed_and_fits_a_batch():
    """LMD "w/o MAE": MaskedUNet gets the latent with masked cells zeroed plus the mask channel, and LMD's loss,
    validation and reconstruction run unchanged with neck=None."""
    torch.manual_seed(0)
    unet = dict(type='MaskedUNet', img_size=16, patch_size=4, in_channels=1,
                unet=dict(model_channels=16, channel_mult=(1, 2), num_res_blocks=1, attention_resolutions=(2,),
                          num_heads=2))  # fmt: skip
    model = MODELS.build(tiny_lmd_model(backbone=unet, neck=None))
    z = torch.randn(2, 1, 16, 16)
    noise = torch.rand(2, 16)
    seen = {}
    model.backbone.unet.register_forward_hook(lambda m, args, out: seen.update(x=args[0]))
    pred, mask = model.predict_patches(z, 0.5, noise)
    _, ref_mask, _ = random_masking(torch.zeros(2, 16, 1), 0.5, noise)  # the ViT path's mask for the same noise
    assert torch.equal(mask, ref_mask) and pred.shape == (2, 16, 16)
    pixel = patch_mask_to_image(mask, (4, 4), 4)
    assert torch.equal(seen['x'][:, 1:], pixel) and torch.equal(seen['x'][:, :1], z * (1 - pixel))
    images = torch.randint(0, 256, (4, 1, 16, 16), dtype=torch.uint8)
    inputs = model.data_preprocessor(dict(inputs=images), True)['inputs']
    model.set_progress(0.5, 0)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = None
    for _ in range(60):
        torch.manual_seed(1)  # the same masks every step
        loss = model(inputs, mode='loss')['loss']
        first = first if first is not None else float(loss)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss) < 0.1 * first
    model.eval()
    assert len(model(inputs, dict(sample_idx=torch.arange(4)), mode='predict')) == 4  # fixed per-sample masks
    assert model.reconstruct(inputs, 0.5, model.fixed_noise(4, 0, inputs.device))['reconstruction'].shape == (
        4, 1, 16, 16)  # fmt: skip


def _patches_by_hand(z: torch.Tensor, p: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, L, p·p·C), row-major patches, each flattened (row, column, channel): MAE's layout."""
    b, c, h, w = z.shape
    rows = [z[:, :, y : y + p, x : x + p].permute(0, 2, 3, 1).reshape(b, -1) for y in range(0, h, p)
            for x in range(0, w, p)]  # fmt: skip
    return torch.stack(rows, 1)


@pytest.mark.parametrize('norm_pix', [False, True])
def test_predict_reports_each_samples_masked_mse_and_target_variance(images_uint8, norm_pix):
    """Validation metric against a computation by hand: the masked patches' mean squared error per sample at the
    fixed validation ratio, with the masks each sample's index fixes, and the variance of the target."""
    model = build(loss=dict(type='MaskedMSELoss', norm_pix=norm_pix)).eval()
    inputs = model.data_preprocessor(dict(inputs=images_uint8[:4]), False)['inputs']
    samples = dict(sample_idx=torch.tensor([3, 0, 7, 5]))
    results = model(inputs, samples, mode='predict')
    again = model(inputs[[1, 0, 2, 3]], dict(sample_idx=torch.tensor([0, 3, 7, 5])), mode='predict')
    assert again[0] == results[1] and again[1] == results[0]  # masks follow the sample, not its batch position
    with torch.no_grad():
        tokens, mask, ids_restore = model.backbone(inputs, model.val_mask_ratio, model._val_noise(samples, 4, 'cpu'))
        pred = model.neck(tokens, ids_restore)
    target = _patches_by_hand(inputs, 4)
    if norm_pix:
        target = (target - target.mean(-1, keepdim=True)) / (target.var(-1, keepdim=True) + 1e-6) ** 0.5
    assert int(mask[0].sum()) == int(16 * model.val_mask_ratio)
    for b, r in enumerate(results):
        masked = [i for i in range(16) if mask[b, i] == 1]
        mse = sum(float(((pred[b, i] - target[b, i]) ** 2).mean()) for i in masked) / len(masked)
        assert r['mse'] == pytest.approx(mse, rel=1e-5)
        assert r['target_var'] == pytest.approx(float(target[b].flatten().var()), rel=1e-5)
        assert r['mask_ratio'] == model.val_mask_ratio


@pytest.mark.parametrize('norm_pix', [False, True])
def test_the_loss_owns_its_target_and_the_inverse(norm_pix):
    """``MaskedMSELoss`` builds the target (standardised per patch with norm_pix) and undoes it: restoring the target
    gives the patches back; without norm_pix both are the identity."""
    loss = MODELS.build(dict(type='MaskedMSELoss', norm_pix=norm_pix))
    patches = torch.randn(2, 5, 12) * 3 + 1
    target = loss.construct_target(patches)
    by_hand = (patches - patches.mean(-1, keepdim=True)) / (patches.var(-1, keepdim=True) + 1e-6) ** 0.5
    torch.testing.assert_close(target, by_hand if norm_pix else patches)
    torch.testing.assert_close(loss.restore(target, patches), patches, rtol=1e-5, atol=1e-5)
    assert loss.target_is_raw is not norm_pix
    mask = torch.tensor([[1, 0, 1, 0, 0], [0, 1, 1, 1, 0]], dtype=torch.float32)
    pred = torch.randn(2, 5, 12)
    expected = ((pred - by_hand if norm_pix else pred - patches) ** 2).mean(-1)
    torch.testing.assert_close(loss(pred, patches, mask), (expected * mask).sum() / mask.sum())


def test_lmd_refuses_a_loss_that_does_not_own_its_target():
    with pytest.raises(TypeError, match='PatchReconstructionLoss .* got CrossEntropyLoss'):
        build(loss=dict(type='CrossEntropyLoss'))
