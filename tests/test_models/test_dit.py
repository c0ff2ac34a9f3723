"""DiT and the MaskedDiffusion algorithm: sizes, adaLN-Zero init, fitting a batch, sampling and guidance."""

import pytest
import torch

from lmdkit.models.backbones.dit import DiT, gated_residual, modulate
from lmdkit.registry import MODELS

from ..conftest import tiny_diffusion_model


def test_dit_xl2_parameter_count():
    with torch.device('meta'):
        model = DiT(arch='XL', input_size=32, patch_size=2, in_channels=4, num_classes=1000, learn_sigma=True)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert round(trainable / 1e6, 1) == 674.8  # the DiT paper's 675 M (Table 4), to one decimal
    names = {k.split('.')[0] for k in model.state_dict()}
    assert names == {'x_embedder', 't_embedder', 'y_embedder', 'pos_embed', 'blocks', 'final_layer'}


def test_dit_starts_as_zero_output_and_uses_its_conditions():
    model = MODELS.build(tiny_diffusion_model()['denoiser']).eval()
    x, t, y = torch.randn(2, 1, 8, 8), torch.tensor([5, 50]), torch.tensor([1, 2])
    assert torch.equal(model(x, t, y), torch.zeros(2, 2, 8, 8))  # adaLN-Zero + zero output layer
    for p in model.parameters():
        p.data.normal_(0, 0.1)
    base = model(x, t, y)
    assert not torch.allclose(base, model(x, t + 7, y)) and not torch.allclose(base, model(x, t, y + 1))
    with pytest.raises(ValueError, match='needs labels'):
        model(x, t, None)


def test_overfits_a_fixed_batch():
    torch.manual_seed(0)
    model = MODELS.build(tiny_diffusion_model(diffusion=dict(num_steps=100, target='eps')))
    z = torch.randn(8, 1, 8, 8)
    y, t, noise = torch.arange(8) % 10, torch.randint(0, 100, (8,)), torch.randn(8, 1, 8, 8)
    model.denoiser.y_embedder.dropout_prob = 0.0  # a fixed regression problem
    opt = torch.optim.AdamW(model.denoiser.parameters(), lr=3e-3)
    first = None
    for _ in range(150):
        loss = model.diffusion.training_losses(lambda x, ts: model.denoiser(x, ts, y), z, t, noise)['loss'].mean()
        first = first if first is not None else float(loss)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss) < 0.1 * first


def test_sampling_is_reproducible_and_guidance_one_is_conditional():
    torch.manual_seed(0)
    model = MODELS.build(tiny_diffusion_model())
    for p in model.denoiser.parameters():
        p.data.normal_(0, 0.05)
    labels = torch.tensor([0, 1, 2, 3])
    a = model.sample(4, labels, generator=torch.Generator().manual_seed(3))
    b = model.sample(4, labels, generator=torch.Generator().manual_seed(3))
    assert a['images'].shape == (4, 1, 8, 8) and torch.equal(a['images'], b['images'])
    assert model.denoiser.training  # sampling restored the mode
    plain = model.sample(4, labels, generator=torch.Generator().manual_seed(3), cfg_scale=1.0)
    guided = model.sample(4, labels, generator=torch.Generator().manual_seed(3), cfg_scale=3.0)
    assert not torch.allclose(plain['latents'], guided['latents'])
    with pytest.raises(ValueError, match='unknown sampling options'):
        model.sample(2, labels[:2], cfg=2.0)


def test_validation_draws_are_fixed_per_sample():
    model = MODELS.build(tiny_diffusion_model()).eval()
    images = torch.randint(0, 256, (4, 1, 8, 8), dtype=torch.uint8)
    samples = dict(gt_label=torch.tensor([0, 1, 2, 3]), sample_idx=torch.tensor([10, 11, 12, 13]))
    data = model.data_preprocessor(dict(inputs=images, data_samples=samples), False)
    first = model(**data, mode='predict')
    again = model(data['inputs'][[1, 0]], dict(gt_label=samples['gt_label'][[1, 0]],
                                               sample_idx=samples['sample_idx'][[1, 0]]), mode='predict')  # fmt: skip
    assert first[0]['diffusion_mse'] == pytest.approx(again[1]['diffusion_mse'])
    with pytest.raises(ValueError, match='labelled data'):
        model(data['inputs'], dict(gt_label=torch.full((4,), -1)), mode='loss')


def official_layout():
    import json
    import os.path as osp

    with open(osp.join(osp.dirname(__file__), '..', 'fixtures', 'dit_official_keys.json')) as f:
        return json.load(f)['models']


@pytest.mark.parametrize('arch', ['S', 'XL'])
def test_state_dict_matches_the_official_key_list(arch):
    """Key names and shapes against a list taken from facebookresearch/DiT's models.py (input 32, 1000 classes)."""
    with torch.device('meta'):
        ours = DiT(arch=arch, input_size=32, patch_size=2, in_channels=4, num_classes=1000, learn_sigma=True)
    expected = official_layout()[f'DiT-{arch}/2']
    assert {k: list(v.shape) for k, v in ours.state_dict().items()} == expected


def test_loads_an_official_training_checkpoint_strictly(tmp_path):
    """DiT's train.py saves {'model', 'ema', 'opt', 'args' (argparse.Namespace)}: the EMA weights load strictly
    without unpickling the Namespace."""
    import argparse

    from lmdkit.models.initializers import load_encoder_weights

    torch.manual_seed(0)
    ref = DiT(arch='S', depth=2, input_size=8, patch_size=2, num_classes=10)
    ema = {k: v + 1.0 for k, v in ref.state_dict().items()}
    torch.save(dict(model=ref.state_dict(), ema=ema, opt={}, args=argparse.Namespace(model='DiT-S/2')),
               tmp_path / '0400000.pt')  # fmt: skip
    ours = DiT(arch='S', depth=2, input_size=8, patch_size=2, num_classes=10)
    report = load_encoder_weights(ours, str(tmp_path / '0400000.pt'), prefix='', strict=True)
    assert report['missing'] == [] and report['unexpected'] == []
    for k, v in ours.state_dict().items():
        assert torch.equal(v, ema[k]), k


def test_unet_denoiser_in_masked_diffusion():
    """The ADM U-Net plugs into the same algorithm: shapes, skip connections at two levels, guided sampling."""
    unet = dict(type='UNet', input_size=8, in_channels=1, model_channels=16, channel_mult=(1, 2), num_res_blocks=1,
                attention_resolutions=(2,), num_heads=2, num_classes=10, learn_sigma=True)  # fmt: skip
    model = MODELS.build(tiny_diffusion_model(denoiser=unet))
    images = torch.randint(0, 256, (4, 1, 8, 8), dtype=torch.uint8)
    data = model.data_preprocessor(dict(inputs=images, data_samples=dict(gt_label=torch.tensor([0, 1, 2, 3]))), True)
    loss = model(**data, mode='loss')['loss']
    loss.backward()
    assert torch.isfinite(loss) and model.denoiser.out[-1].weight.grad.abs().sum() > 0
    for p in model.denoiser.parameters():
        p.data.normal_(0, 0.05)
    out = model.sample(3, torch.tensor([1, 2, 3]), generator=torch.Generator().manual_seed(0))
    assert out['images'].shape == (3, 1, 8, 8) and torch.isfinite(out['images']).all()
    with pytest.raises(ValueError, match='divisible'):
        MODELS.build(dict(unet, input_size=9))


def test_unet_without_scale_shift_adds_the_embedding_before_the_second_norm():
    """DDPM's residual block (``use_scale_shift_norm=False``) against the formula, and ADM's as the default."""
    from lmdkit.models.backbones.unet import ResBlock

    torch.manual_seed(0)
    x, emb = torch.randn(2, 32, 4, 4), torch.randn(2, 16)
    for scale_shift in (False, True):
        block = ResBlock(32, 16, 64, scale_shift=scale_shift)
        for p in block.parameters():
            p.data.normal_(0, 0.1)
        h, e = block.in_layers(x), block.emb_layers(emb)[..., None, None]
        if scale_shift:
            scale, shift = e[:, :64], e[:, 64:]
            expected = block.out_layers(block.out_norm(h) * (1 + scale) + shift)
        else:
            assert e.shape[1] == 64
            expected = block.out_layers(block.out_norm(h + e))
        torch.testing.assert_close(block(x, emb), block.skip(x) + expected)


@pytest.mark.parametrize(
    'size,mult,attn,paper_m', [(32, (1, 2, 2, 2), (2,), 35.7), (256, (1, 1, 2, 2, 4, 4), (16,), 114)]
)
def test_ddpm_unet_sizes(size, mult, attn, paper_m):
    """DDPM (Ho et al., 2020, appendix B): the CIFAR-10 model has 35.7 M parameters, the LSUN/CelebA-HQ 256 model
    114 M; configs/ddpm/ddpm_unet_lsun-bedroom.py builds the latter."""
    with torch.device('meta'):
        unet = MODELS.build(dict(type='UNet', input_size=size, in_channels=3, model_channels=128, channel_mult=mult,
                                 num_res_blocks=2, attention_resolutions=attn, num_heads=1,
                                 use_scale_shift_norm=False))  # fmt: skip
    assert abs(sum(p.numel() for p in unet.parameters()) / 1e6 - paper_m) / paper_m < 0.01


@pytest.mark.parametrize('dtypes', [(torch.float32,) * 3, (torch.float32, torch.bfloat16, torch.bfloat16)])
def test_modulate_and_gated_residual_are_the_adaln_formulas(dtypes):
    """x·(1 + scale) + shift and x + gate·y per sample, values and gradients, whether the operands share a dtype
    (one addcmul) or mix fp32 and bf16 as under autocast (plain ops)."""
    torch.manual_seed(0)
    x_dtype, cond_dtype, y_dtype = dtypes
    x = torch.randn(2, 5, 8, dtype=x_dtype, requires_grad=True)
    shift, scale = (torch.randn(2, 8, dtype=cond_dtype, requires_grad=True) for _ in range(2))
    y = torch.randn(2, 5, 8, dtype=y_dtype, requires_grad=True)
    leaves = (x, shift, scale, y)
    out = gated_residual(x, scale, modulate(y, shift, scale))
    ref_leaves = [t.detach().double().requires_grad_() for t in leaves]
    rx, rshift, rscale, ry = ref_leaves
    ref = rx + rscale[:, None] * (ry * (1 + rscale[:, None]) + rshift[:, None])
    assert out.dtype == torch.promote_types(x_dtype, cond_dtype)
    tol = dict(rtol=1e-5, atol=1e-5) if cond_dtype == torch.float32 else dict(rtol=4e-2, atol=1e-1)
    torch.testing.assert_close(out.double(), ref.detach(), **tol)
    weight = torch.randn(2, 5, 8, dtype=torch.float64)
    grads = torch.autograd.grad((out.double() * weight).sum(), leaves)
    ref_grads = torch.autograd.grad((ref * weight).sum(), ref_leaves)
    for got, want in zip(grads, ref_grads):
        torch.testing.assert_close(got.double(), want, **tol)


def test_the_residual_stream_is_contiguous():
    """Every block gets its tokens in (B, N, D) memory order: a transposed stream made each layer norm copy it."""
    model = DiT(arch='p', hidden_size=32, depth=2, num_heads=2, input_size=8, patch_size=2, in_channels=4,
                num_classes=10)  # fmt: skip
    seen = []
    for block in model.blocks:
        block.norm1.register_forward_pre_hook(lambda module, args: seen.append(args[0].is_contiguous()))
    model(torch.randn(2, 4, 8, 8), torch.tensor([3, 500]), torch.tensor([1, 2]))
    assert seen == [True, True]
