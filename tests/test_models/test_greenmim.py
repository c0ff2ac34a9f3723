"""GreenMIM's Swin on visible tokens: timm's Swin when nothing is masked, attention within each (shifted) window's
visible tokens against a per-window computation, and masked content that never reaches the outputs."""

import pytest
import torch

from lmdkit.models.backbones import GreenMIMSwin
from lmdkit.models.backbones.greenmim import window_layout
from lmdkit.registry import MODELS

from ..conftest import fixed_batch_losses, ramp_images


def tiny(depths=(2, 2, 2), heads=(1, 2, 4)):
    torch.manual_seed(1)
    model = GreenMIMSwin(img_size=32, patch_size=2, in_channels=3, embed_dim=16, depths=depths, num_heads=heads,
                         window_size=4).eval()  # fmt: skip
    for p in model.parameters():
        p.data.normal_(0, 0.2)
    return model


def test_with_nothing_masked_it_is_timm_swin():
    """Shifted windows (shift 2 on the 16x16 and 8x8 grids, none on 4x4), patch merging and the final norm."""
    model = tiny()
    x = torch.randn(2, 3, 32, 32)
    tokens, mask, ids = model(x)
    assert mask is None and ids is None
    torch.testing.assert_close(tokens, model.swin.forward_features(x).flatten(1, 2), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('index,shift', [(0, 0), (1, 2)])
def test_group_window_attention_is_attention_within_each_windows_visible_tokens(index, shift):
    """A first-stage block's output at the visible tokens (plain and shifted windows), against timm's
    WindowAttention run window by window on the visible tokens of that window, with its bias table sliced to them."""
    model = tiny()
    model.train()  # one mask for the batch
    block = model.swin.layers[0].blocks[index]
    assert block.shift_size == (shift, shift)
    noise = torch.rand(1, 16)
    x = torch.randn(2, 3, 32, 32)
    seen = {}
    block.register_forward_hook(lambda m, args, out: seen.update(out=out))  # timm's block never runs here
    _, mask, ids_restore = model(x, 0.75, noise)
    assert torch.equal(mask[0], mask[1])  # one mask for the batch (the official per-batch masking)
    ids_keep = torch.argsort(ids_restore[0])[:4].tolist()
    coords = torch.tensor([[k // 4 * 4 + dy, k % 4 * 4 + dx] for k in ids_keep for dy in range(4) for dx in range(4)])
    tokens = model.swin.patch_embed(x)[:, coords[:, 0], coords[:, 1]]
    ours = model._block(block, tokens, window_layout(coords, 4, shift))
    assert 'out' not in seen
    h = block.norm1(tokens)
    expected = tokens.clone()
    window = (coords + 4 - shift) // 4  # the (shifted) window of each token
    full_bias = block.attn._get_rel_pos_bias()[0]  # (heads, 16, 16) over one window's positions
    for w in window.unique(dim=0):
        idx = (window == w).all(-1).nonzero()[:, 0]
        local = ((coords[idx] + 4 - shift) % 4) @ torch.tensor([4, 1])  # positions inside the window
        q, k, v = block.attn.qkv(h[:, idx]).reshape(2, len(idx), 3, 1, -1).permute(2, 0, 3, 1, 4)
        att = (q @ k.transpose(-2, -1)) * block.attn.scale + full_bias[:, local][:, :, local]
        out = (att.softmax(-1) @ v).transpose(1, 2).reshape(2, len(idx), -1)
        expected[:, idx] = tokens[:, idx] + block.attn.proj(out)
    expected = expected + block.mlp(block.norm2(expected))
    torch.testing.assert_close(ours, expected, rtol=1e-4, atol=1e-5)


def test_evaluation_masks_each_sample_as_its_noise_says():
    """Validation's seeded per-sample masks: each sample's result is the one it gets alone."""
    model = tiny().eval()
    noise, x = torch.rand(3, 16), torch.randn(3, 3, 32, 32)
    out, mask, ids = model(x, 0.75, noise)
    for i in range(3):
        alone = model(x[i : i + 1], 0.75, noise[i : i + 1])
        torch.testing.assert_close(out[i : i + 1], alone[0])
        assert torch.equal(mask[i : i + 1], alone[1]) and torch.equal(ids[i : i + 1], alone[2])
    assert not torch.equal(mask[0], mask[1])
    with pytest.raises(ValueError, match='square windows that tile every stage'):
        GreenMIMSwin(img_size=24, patch_size=2, embed_dim=16, depths=(1, 1), num_heads=(1, 2), window_size=5)


def test_masked_content_never_reaches_the_outputs():
    model = tiny()
    noise = torch.rand(1, 16).expand(2, -1)  # the same mask for both samples
    x = torch.randn(2, 3, 32, 32)
    out, mask, _ = model(x, 0.75, noise)
    pixel_mask = mask[0].reshape(4, 4).repeat_interleave(8, 0).repeat_interleave(8, 1).bool()
    x2 = x.clone()
    x2[:, :, pixel_mask] += 5.0
    torch.testing.assert_close(model(x2, 0.75, noise)[0], out)
    assert out.shape == (2, 4, 64) and not torch.allclose(model(x2)[0], model(x)[0])


def test_greenmim_trains_in_lmd_with_a_decoder_without_class_token():
    model = MODELS.build(dict(type='LMD', data_preprocessor=dict(type='ImgDataPreprocessor', mean=[127.5], std=[127.5]),
                              projector=dict(type='IdentityProjector', in_channels=1),
                              backbone=dict(type='GreenMIMSwin', img_size=16, patch_size=2, in_channels=1,
                                            embed_dim=16, depths=(2, 2), num_heads=(1, 2), window_size=4),
                              neck=dict(type='MAEPretrainDecoder', grid_size=4, patch_size=4, out_channels=1, in_dim=32,
                                        embed_dim=32, depth=1, num_heads=2, cls_token=False),
                              loss=dict(type='MaskedMSELoss', norm_pix=True),
                              mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.75)))  # fmt: skip
    assert model.neck.decoder_pos_embed.shape == (1, 16, 32)
    losses = fixed_batch_losses(model, ramp_images(1, 16))
    assert losses[-1] < 0.5 * losses[0]
