"""MaskDiT: the official parameter names, the encoder on the visible tokens and the decoder on all of them (checked
against the computation written out), the dense model where nothing is dropped, and its MAE loss term."""

import pytest
import torch

from lmdkit.models.backbones.maskdit import MaskDiT
from lmdkit.models.layers import patch_mask_to_image, patchify, unpatchify
from lmdkit.models.losses import normalize_patches
from lmdkit.models.token_plans import TokenRoute
from lmdkit.registry import MODELS

from .test_token_plans import routed_loss_and_draws

N = 16  # tokens of the tiny model: 8x8 inputs, patch 2


def tiny_maskdit() -> MaskDiT:
    model = MODELS.build(dict(MaskDiT.example().cfg, depth=2, class_dropout_prob=0.0))
    torch.manual_seed(0)
    for p in model.parameters():
        p.data.normal_(0, 0.2)
    return model.eval()


def inputs():
    g = torch.Generator().manual_seed(1)
    return torch.randn(2, 1, 8, 8, generator=g, dtype=torch.float32), torch.tensor([3, 90]), torch.tensor([1, 7])


def test_maskdit_xl2_has_the_official_modules():
    with torch.device('meta'):
        model = MaskDiT(arch='XL', input_size=32, patch_size=2, in_channels=4, num_classes=1000, learn_sigma=False)
    names = {k.split('.')[0] for k in model.state_dict()}
    assert names == {'x_embedder', 't_embedder', 'y_embedder', 'pos_embed', 'blocks', 'decoder_layer',
                     'decoder_pos_embed', 'decoder_blocks', 'mask_token', 'final_layer'}  # fmt: skip
    assert len(model.blocks) == 28 and len(model.decoder_blocks) == 8
    assert model.decoder_blocks[0].attn.num_heads == 16 and model.final_layer.linear.in_features == 512
    assert model.decoder_blocks[0].adaLN_modulation[-1].in_features == 1152  # conditioned on the encoder's width


def test_decoder_starts_from_the_mask_token_and_positions_only():
    model = MODELS.build(MaskDiT.example().cfg)
    assert not model.decoder_layer.linear.weight.any() and not model.decoder_layer.linear.bias.any()  # official init
    assert model.mask_token.std() > 0 and not model.decoder_pos_embed.requires_grad


def test_masked_pass_equals_the_computation_written_out():
    model = tiny_maskdit()
    x, t, y = inputs()
    keep = torch.stack([torch.randperm(N, generator=torch.Generator().manual_seed(b))[:8] for b in range(2)])
    out = model(x, t, y, route=TokenRoute(keep, 0))
    c = model.condition(t, y)
    h = model.x_embedder(x) + model.pos_embed  # (B, N, D)
    h = torch.stack([h[b, keep[b]] for b in range(2)])  # the visible half, (B, 8, D)
    for block in model.blocks:
        h = block(h, c)
    h = model.decoder_layer(h, c)  # (B, 8, 16)
    full = model.mask_token.expand(2, N, -1).clone()
    for b in range(2):
        full[b, keep[b]] = h[b]
    full = full + model.decoder_pos_embed
    for block in model.decoder_blocks:
        full = block(full, c)
    ref = unpatchify(model.final_layer(full, c), 2, (4, 4), model.out_channels)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)


def test_keeping_every_token_is_the_dense_model():
    model = tiny_maskdit()
    x, t, y = inputs()
    shuffled = torch.stack([torch.randperm(N, generator=torch.Generator().manual_seed(b)) for b in range(2)])
    torch.testing.assert_close(model(x, t, y, route=TokenRoute(shuffled, 0)), model(x, t, y), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('learn_sigma', [False, True])
def test_loss_is_the_visible_tokens_diffusion_loss_plus_the_mae_loss_on_dropped_ones(learn_sigma):
    denoiser = dict(MaskDiT.example().cfg, learn_sigma=learn_sigma, class_dropout_prob=0.0)
    out, model, z, y, t, keep, noise = routed_loss_and_draws(
        denoiser, 0.5, token_plan=dict(type='DeferredMasking', start=0),
        mae_loss=dict(type='MaskedMSELoss', norm_pix=True, loss_weight=0.1),
    )  # fmt: skip
    xt = model.diffusion.q_sample(z, t, noise)
    pred = model.denoiser(xt, t, y, route=TokenRoute(keep, 0))[:, :1]  # the ε channel (learned σ: the second)
    kept = torch.zeros(4, N).scatter_(1, keep, 1.0)  # (B, N)
    kept_px = patch_mask_to_image(kept, (4, 4), 2)
    dsm = (((pred - noise) ** 2 * kept_px).sum((1, 2, 3)) / kept_px.sum((1, 2, 3))).mean()
    per_patch = ((patchify(pred, 2) - normalize_patches(patchify(xt, 2))) ** 2).mean(-1)  # (B, N)
    mae = (per_patch * (1 - kept)).sum() / (1 - kept).sum()
    torch.testing.assert_close(out['mae'], 0.1 * mae)  # the weighted term, as it enters the loss
    if not learn_sigma:
        torch.testing.assert_close(out['loss'], dsm + 0.1 * mae)
    else:  # with learned σ the diffusion loss adds the variational bound; neither may see the dropped tokens
        full = model.denoiser(xt, t, y, route=TokenRoute(keep, 0))  # (B, 2, 8, 8): ε and the σ interpolation
        diffusion = model.diffusion.losses_from_output(full, z, xt, t, noise, kept_px)['loss'].mean()
        torch.testing.assert_close(out['loss'], diffusion + out['mae'])
        scrambled = full + torch.randn_like(full) * (1 - kept_px)  # other predictions at the dropped tokens
        scrambled = model.diffusion.losses_from_output(scrambled, z, xt, t, noise, kept_px)['loss'].mean()
        torch.testing.assert_close(scrambled, diffusion)
        assert out['vb'] > 0
