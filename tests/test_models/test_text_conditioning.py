"""Text conditioning: cross-attention against a direct computation, a text-conditioned DiT, caption dropout and
guidance against the empty caption in MaskedDiffusion; class-conditional models keep their keys."""

import pytest
import torch

from lmdkit.diffusion import guided_model
from lmdkit.models.layers import CrossAttention, TextEmbedding
from lmdkit.registry import MODELS

from ..conftest import fixed_batch_losses

TEXT = dict(type='ByteTextEncoder', dim=16, depth=1, num_heads=2, max_length=16)


def _text_dit(**overrides) -> dict:
    return dict(type='DiT', arch='p', hidden_size=32, depth=2, num_heads=2, input_size=8, patch_size=2,
                in_channels=1, num_classes=0, learn_sigma=False, text_dim=16, **overrides)  # fmt: skip


def _fits(model: torch.nn.Module, images: torch.Tensor, captions: list, steps: int) -> None:
    """The loss on one captioned batch, with the same draws (timesteps, noise, masks, dropped captions) every step,
    falls; the text encoder learns with the model."""
    losses = fixed_batch_losses(model, images, steps=steps, captions=captions)
    assert losses[-1] < 0.8 * losses[0]
    assert all(p.grad is not None for p in model.text_encoder.parameters())


def _randomise(module: torch.nn.Module) -> None:
    """Every parameter away from its (partly zero) init, so each path of the network shows in the output."""
    torch.manual_seed(1)
    with torch.no_grad():
        for p in module.parameters():
            p.normal_(0, 0.2)


def test_cross_attention_against_a_direct_computation():
    torch.manual_seed(0)
    attn = CrossAttention(8, 2, context_dim=6)
    x, ctx = torch.randn(2, 5, 8), torch.randn(2, 3, 6)
    mask = torch.tensor([[True, True, False], [False, False, False]])  # the second caption has no token
    bias = torch.zeros(2, 3).masked_fill(~mask, float('-inf'))[:, None, None, :]
    out = attn(x, ctx, bias)
    q = attn.q(x).reshape(2, 5, 2, 4)
    k, v = attn.kv(ctx).reshape(2, 3, 2, 2, 4).unbind(2)
    scores = torch.einsum('bnhd,blhd->bhnl', q, k) / 2.0  # sqrt(head_dim 4)
    weights = scores[0].masked_fill(~mask[0], float('-inf')).softmax(-1)  # (h, N, L)
    ref = attn.proj(torch.einsum('hnl,lhd->nhd', weights, v[0]).reshape(5, 8))
    torch.testing.assert_close(out[0], ref)
    torch.testing.assert_close(out[1], attn.proj(torch.zeros(5, 8)))  # nothing to attend to: no contribution


def test_text_dit_uses_the_caption_but_not_its_padding():
    dit = MODELS.build(_text_dit())
    assert all(b.cross_attn.proj.weight.abs().sum() == 0 for b in dit.blocks)  # PixArt-α: zero at init
    _randomise(dit)
    torch.manual_seed(0)
    x, t = torch.randn(2, 1, 8, 8), torch.tensor([10, 500])
    mask = torch.tensor([[True] * 3 + [False] * 3, [True] * 6])
    text = TextEmbedding(torch.randn(2, 6, 16), mask, torch.randn(2, 16))
    out = dit(x, t, text)
    assert out.shape == (2, 1, 8, 8)
    padded = text._replace(tokens=torch.where(mask[..., None], text.tokens, torch.randn(2, 6, 16)))
    torch.testing.assert_close(dit(x, t, padded), out)  # padding tokens are never attended to
    other = text._replace(tokens=text.tokens + torch.randn(2, 6, 16) * mask[..., None])
    assert not torch.allclose(dit(x, t, other), out)  # the caption's tokens are
    assert not torch.allclose(dit(x, t, text._replace(pooled=torch.randn(2, 16))), out)  # and its pooled vector
    out.square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in dit.parameters() if p.requires_grad)
    with pytest.raises(ValueError, match='takes a TextEmbedding'):
        dit(x, t, torch.tensor([1, 2]))


def test_class_conditional_dit_keys_are_unchanged():
    keys = set(MODELS.build(dict(_text_dit(), text_dim=0, num_classes=10)).state_dict())
    assert not any('cross_attn' in k or 'text_embedder' in k for k in keys)
    assert {'y_embedder.embedding_table.weight', 'blocks.0.adaLN_modulation.1.weight'} <= keys
    with pytest.raises(ValueError, match='set num_classes=0'):
        MODELS.build(dict(_text_dit(), num_classes=10))


def _text_model(**overrides) -> torch.nn.Module:
    cfg = dict(type='MaskedDiffusion', denoiser=_text_dit(), text_encoder=TEXT,
               projector=dict(type='IdentityProjector', in_channels=1),
               diffusion=dict(schedule='linear', num_steps=100), sampling=dict(steps=5),
               data_preprocessor=dict(type='ImageOrLatentPreprocessor', mean=[127.5], std=[127.5]))  # fmt: skip
    return MODELS.build({**cfg, **overrides})


def test_caption_dropout_replaces_captions_by_the_empty_one():
    model = _text_model(caption_dropout=0.5)
    captions = [f'caption {i}' for i in range(16)]
    torch.manual_seed(3)
    emb = model._condition(dict(caption=captions), torch.device('cpu'), training=True)
    torch.manual_seed(3)
    dropped = (torch.rand(16) < 0.5).tolist()
    assert 0 < sum(dropped) < 16
    ref = model.text_encoder(['' if d else c for c, d in zip(captions, dropped)])
    torch.testing.assert_close(emb.tokens, ref.tokens)
    empty = model.text_encoder([''])
    for i, d in enumerate(dropped):  # a dropped caption is exactly the empty caption, whatever it said
        assert torch.allclose(emb.pooled[i], empty.pooled[0]) == d
    kept = model._condition(dict(caption=captions), torch.device('cpu'), training=False)
    torch.testing.assert_close(kept.tokens, model.text_encoder(captions).tokens)  # no dropout outside training
    with pytest.raises(ValueError, match=r"needs captions: data_samples\['caption'\]"):
        model._condition(dict(gt_label=torch.zeros(2)), torch.device('cpu'), training=True)


def test_guidance_pairs_each_caption_with_the_empty_one():
    seen = []

    def stub(x, t, y):
        seen.append(y)
        return torch.where(y.pooled[:, :1, None, None] > 0, torch.full_like(x, 3.0), torch.ones_like(x))

    cond = TextEmbedding(torch.zeros(2, 4, 8), torch.ones(2, 4, dtype=torch.bool), torch.ones(2, 8))
    null = TextEmbedding(torch.zeros(2, 4, 8), torch.ones(2, 4, dtype=torch.bool), -torch.ones(2, 8))
    out = guided_model(stub, cond, null, 4.0, 100)(torch.zeros(2, 1, 2, 2), torch.tensor([5, 5]))
    torch.testing.assert_close(out, torch.full_like(out, 1.0 + 4.0 * 2.0))
    assert isinstance(seen[0], TextEmbedding) and seen[0].pooled[:, 0].tolist() == [1, 1, -1, -1]


def test_text_conditioned_training_learns_and_samples_from_captions():
    torch.manual_seed(0)
    model = _text_model(caption_dropout=0.2)
    images = torch.randint(0, 256, (8, 1, 8, 8), dtype=torch.uint8)
    captions = ['a dark shirt', 'a light bag'] * 4
    _fits(model, images, captions, steps=25)
    noise = torch.randn(2, 1, 8, 8)
    out = model.sample(2, captions=['a dark shirt', 'a light bag'], noise=noise, cfg_scale=3.0)
    assert out['images'].shape == (2, 1, 8, 8) and out['labels'] is None
    assert out['captions'] == ['a dark shirt', 'a light bag']
    plain = model.sample(2, captions=['a dark shirt', 'a light bag'], noise=noise)
    assert not torch.allclose(out['latents'], plain['latents'])  # guidance against the empty caption acts
    swapped = model.sample(2, captions=['a light bag', 'a dark shirt'], noise=noise)
    assert not torch.allclose(swapped['latents'], plain['latents'])  # the caption conditions the sample
    with pytest.raises(ValueError, match='samples from captions'):
        model.sample(2)
    results = model(**model.data_preprocessor(dict(inputs=images[:2], data_samples=dict(
        caption=captions[:2], sample_idx=torch.tensor([0, 1]))), training=False), mode='predict')  # fmt: skip
    assert len(results) == 2 and results[0]['diffusion_mse'] > 0


def test_text_encoder_and_denoiser_must_agree():
    with pytest.raises(ValueError, match='set model.text_encoder'):
        _text_model(text_encoder=None)
    with pytest.raises(ValueError, match='text_dim 16 must equal the text encoder'):
        _text_model(text_encoder=dict(TEXT, dim=32))
    with pytest.raises(ValueError, match='needs a text-conditioned denoiser'):
        _text_model(denoiser=dict(_text_dit(), text_dim=0))


@pytest.mark.parametrize('masked', [False, True])
def test_text_mdt_attends_to_the_caption_in_every_pass(masked):
    mdt = MODELS.build(dict(type='MDT', arch='p', version=2, hidden_size=32, depth=4, num_heads=2, decode_layers=1,
                            input_size=8, patch_size=2, in_channels=1, num_classes=0, text_dim=16))  # fmt: skip
    blocks = [*mdt.en_inblocks, *mdt.en_outblocks, *mdt.de_blocks, *mdt.sideblocks]
    assert all(isinstance(b.cross_attn, CrossAttention) for b in blocks)
    _randomise(mdt)
    torch.manual_seed(0)
    x, t = torch.randn(2, 1, 8, 8), torch.tensor([10, 500])
    text = TextEmbedding(torch.randn(2, 5, 16), torch.ones(2, 5, dtype=torch.bool), torch.randn(2, 16))
    ratio = 0.5 if masked else None
    noise = torch.rand(2, 16)
    out = mdt(x, t, text, mask_ratio=ratio, noise=noise)
    other = text._replace(tokens=torch.randn(2, 5, 16))
    assert not torch.allclose(mdt(x, t, other, mask_ratio=ratio, noise=noise), out)
    seen = []
    hooks = [b.cross_attn.register_forward_hook(lambda m, a, o: seen.append(m)) for b in blocks]
    mdt(x, t, text, mask_ratio=ratio, noise=noise)
    for h in hooks:
        h.remove()
    # every encoder and decoder block attends; the side-interpolator only in the masked pass
    assert len(seen) == (len(blocks) if masked else len(blocks) - len(mdt.sideblocks))


def test_text_unet_cross_attends_at_its_attention_resolutions():
    unet = MODELS.build(dict(type='UNet', input_size=8, in_channels=1, model_channels=16, channel_mult=(1, 2),
                             num_res_blocks=1, attention_resolutions=(2,), num_heads=2, text_dim=16))  # fmt: skip
    from lmdkit.models.backbones.unet import SpatialCrossAttention

    cross = [m for m in unet.modules() if isinstance(m, SpatialCrossAttention)]
    assert len(cross) == 4  # after each self-attention: one down, the middle, two up
    assert all(m.attn.proj.weight.abs().sum() == 0 for m in cross)
    _randomise(unet)
    torch.manual_seed(0)
    x, t = torch.randn(2, 1, 8, 8), torch.tensor([10, 500])
    mask = torch.tensor([[True] * 2 + [False] * 3, [True] * 5])
    text = TextEmbedding(torch.randn(2, 5, 16), mask, torch.randn(2, 16))
    out = unet(x, t, text)
    padded = text._replace(tokens=torch.where(mask[..., None], text.tokens, torch.randn(2, 5, 16)))
    torch.testing.assert_close(unet(x, t, padded), out)  # padding is never attended to
    assert not torch.allclose(unet(x, t, text._replace(tokens=torch.randn(2, 5, 16))), out)
    out.square().mean().backward()
    assert all(p.grad is not None for p in unet.parameters())
    keys = set(MODELS.build(dict(type='UNet', input_size=8, in_channels=1, model_channels=16, channel_mult=(1, 2),
                                 num_res_blocks=1, attention_resolutions=(2,), num_heads=2,
                                 num_classes=10)).state_dict())  # fmt: skip
    assert not any('attn.kv' in k for k in keys)  # class-conditional U-Nets keep their keys
    with pytest.raises(ValueError, match='takes a TextEmbedding of width 16'):
        unet(x, t, torch.tensor([0, 1]))


def _text_lmd(**overrides) -> torch.nn.Module:
    from ..conftest import tiny_lmd_model

    cfg = tiny_lmd_model()
    cfg['neck'] = dict(cfg['neck'], text_dim=16)
    return MODELS.build({**cfg, 'text_encoder': TEXT, **overrides})


def test_text_lmd_decoder_attends_to_the_caption_and_generates_from_it():
    model = _text_lmd()
    assert all(b.attn.proj.weight.abs().sum() == 0 for b in model.neck.cross_blocks)  # MAE's decoder at init
    keys = set(MODELS.build(dict(MODELS.get('LMD').example().cfg)).state_dict())
    assert not any('cross_blocks' in k or 'text_encoder' in k for k in keys)  # MAE/LMD checkpoints unchanged
    _randomise(model.neck)
    torch.manual_seed(0)
    z, noise = torch.randn(2, 1, 16, 16), torch.rand(2, 16)
    text = model.text_encoder(['a dark shirt', 'a light bag'])
    pred, mask = model.predict_patches(z, 0.5, noise, text)
    other, _ = model.predict_patches(z, 0.5, noise, model.text_encoder(['a light bag', 'a dark shirt']))
    assert not torch.allclose(pred, other)
    with pytest.raises(ValueError, match='predicts from captions'):
        model.predict_patches(z, 0.5, noise)
    # training on captions (from the initialisation): the loss on a fixed batch falls, the text encoder learns too
    model = _text_lmd()
    images = torch.randint(0, 256, (4, 1, 16, 16), dtype=torch.uint8)
    model.set_progress(0.5, 1)
    _fits(model, images, ['a', 'b', 'c', 'd'], steps=40)
    batch = model.data_preprocessor(dict(inputs=images), True)
    # generation from captions, guided against the empty caption
    model.fit_latent_prior([batch['inputs']])
    gen = lambda **kw: model.sample(2, generator=torch.Generator().manual_seed(0), captions=['a', 'b'], **kw)  # noqa: E731
    plain, guided = gen(steps=3), gen(steps=3, cfg_scale=3.0)
    assert plain['images'].shape == (2, 1, 16, 16) and plain['captions'] == ['a', 'b']
    assert not torch.allclose(plain['latents'], guided['latents'])
    with pytest.raises(ValueError, match='generates from captions'):
        model.sample(2, steps=3)
    x = batch['inputs'][:2]
    unconditional = model.reconstruct(x, noise=noise)  # the empty caption's prediction
    assert unconditional['reconstruction'].shape == x.shape
    captioned = model.reconstruct(x, noise=noise, captions=['a', 'b'])
    assert not torch.allclose(captioned['prediction'], unconditional['prediction'])
    with pytest.raises(ValueError, match='text_dim equal to its dim'):
        _text_lmd(text_encoder=None)
