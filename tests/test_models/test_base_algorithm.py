"""BaseAlgorithm: one forward dispatch, outputs with host scalars, and the plumbing LMD and MDT share."""

import pytest
import torch

from lmdkit.models.contracts import MaskScheduled
from lmdkit.registry import MODELS

from ..conftest import tiny_diffusion_model, tiny_lmd_model, tiny_mdt_denoiser


def test_host_scalars_are_logged_as_numbers_and_not_summed(images_uint8):
    torch.manual_seed(0)
    model = MODELS.build(tiny_lmd_model())
    model.set_progress(0.5, 10)
    data = model.data_preprocessor(dict(inputs=images_uint8), True)
    outputs = model(data['inputs'], mode='loss')  # the terms; the step adds its host numbers (step_scalars)
    assert set(outputs) == {'loss'}
    loss, log_vars = model.parse_losses(outputs)
    assert list(log_vars) == ['loss', 'mask_ratio'] and log_vars['mask_ratio'] == model.mask_ratio
    assert isinstance(log_vars['mask_ratio'], float)  # costs no transfer: never announced to the readout
    assert [id(t) for t in model.step_readout.expected] == [id(log_vars['loss'])]
    torch.testing.assert_close(loss, outputs['loss'])  # the ratio is not part of the loss


def test_a_loss_term_given_as_a_number_is_refused():
    model = MODELS.build(tiny_lmd_model())
    with pytest.raises(TypeError, match=r"\['loss_extra'\] as Python numbers"):
        model.parse_losses(dict(loss=torch.tensor(1.0), loss_extra=0.5))


def test_scheduled_models_share_one_set_progress_and_say_when_they_have_no_schedule():
    lmd = MODELS.build(tiny_lmd_model())
    mdt = MODELS.build(
        tiny_diffusion_model(denoiser=tiny_mdt_denoiser(), mask_scheduler=dict(type='CosineMaskScheduler'))
    )
    for model in (lmd, mdt):
        assert isinstance(model, MaskScheduled)
        assert model.set_progress(1.0, 100) == pytest.approx(0.75) == model.mask_ratio
    dit = MODELS.build(tiny_diffusion_model())
    with pytest.raises(RuntimeError, match='this MaskedDiffusion has no mask_scheduler'):
        dit.set_progress(0.5)


def test_every_algorithm_refuses_an_unknown_mode_and_says_which_have_none():
    lmd, dit = MODELS.build(tiny_lmd_model()), MODELS.build(tiny_diffusion_model())
    for model in (lmd, dit):
        with pytest.raises(ValueError, match="mode must be 'loss', 'predict' or 'tensor', got 'bogus'"):
            model(torch.zeros(1), mode='bogus')
    with pytest.raises(ValueError, match="MaskedDiffusion has no 'tensor' mode"):
        dit(torch.zeros(1), mode='tensor')


def test_lmd_features_are_encoder_tokens_and_a_patch_predicting_backbone_has_none():
    net = dict(model_channels=8, channel_mult=(1,), num_res_blocks=1, attention_resolutions=(), num_heads=1)
    unet = dict(type='MaskedUNet', img_size=16, patch_size=4, in_channels=1, unet=net)
    model = MODELS.build(tiny_lmd_model(backbone=unet, neck=None))
    with pytest.raises(TypeError, match='MaskedUNet \\(neck=None\\) predicts patches itself'):
        model.extract_feat(torch.randn(2, 1, 16, 16))
    vit = MODELS.build(tiny_lmd_model())
    assert vit(torch.randn(2, 1, 16, 16), mode='tensor').shape == (2, 1 + 16, 32)  # class token + 16 patches


def test_cached_latents_and_images_give_the_same_scaled_latents():
    model = MODELS.build(tiny_diffusion_model(latent_scale=0.5))
    images = torch.rand(2, 1, 8, 8) * 2 - 1
    expected = images * 0.5  # the identity projector's latents, times the diffusion scale
    torch.testing.assert_close(model.encode_latents(images), expected, rtol=0, atol=0)
    torch.testing.assert_close(model.encode_latents(dict(latents=images)), expected, rtol=0, atol=0)
