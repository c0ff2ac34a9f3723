"""Position embeddings against MAE's reference values; masking; patchify; attention kernels."""

import json
import os.path as osp

import pytest
import torch

from lmdkit.models.layers import (
    Attention,
    PatchEmbed,
    dot_product_attention,
    get_2d_sincos_pos_embed,
    num_kept,
    patch_mask_to_image,
    patchify,
    random_masking,
    unpatchify,
)
from lmdkit.models.layers.attention import split_heads

from ..conftest import FIXTURES


@pytest.mark.parametrize('key', ['d16_g4', 'd32_g3'])
def test_sincos_matches_mae_reference(key):
    with open(osp.join(FIXTURES, 'mae_sincos_pos_embed.json')) as f:
        expected = torch.tensor(json.load(f)['tables'][key], dtype=torch.float64)
    dim, grid = (int(part[1:]) for part in key.split('_'))
    ours = get_2d_sincos_pos_embed(dim, grid, cls_token=True).double()
    assert ours.shape == expected.shape == (grid * grid + 1, dim)
    torch.testing.assert_close(ours, expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize('ratio', [0.0, 0.15, 0.5, 0.75, 0.9])
def test_random_masking_counts_and_restore(ratio):
    torch.manual_seed(0)
    b, length, dim = 3, 49, 8
    x = torch.randn(b, length, dim)
    kept, mask, ids_restore = random_masking(x, ratio)
    expected_keep = max(1, int(length * (1 - ratio)))
    assert kept.shape == (b, expected_keep, dim) and num_kept(length, ratio) == expected_keep
    assert torch.all(mask.sum(1) == length - expected_keep)
    # kept tokens are exactly the unmasked ones, and ids_restore inverts the shuffle
    for i in range(b):
        visible = x[i][mask[i] == 0]
        assert torch.equal(torch.sort(visible, dim=0).values, torch.sort(kept[i], dim=0).values)
    padded = torch.cat([kept, torch.zeros(b, length - expected_keep, dim)], 1)
    restored = torch.gather(padded, 1, ids_restore[..., None].expand(-1, -1, dim))
    assert torch.equal(restored[mask == 0], x[mask == 0])


def test_random_masking_with_given_noise_is_deterministic():
    x = torch.randn(2, 16, 4)
    noise = torch.rand(2, 16)
    a, b = random_masking(x, 0.75, noise), random_masking(x, 0.75, noise)
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    # the lowest-noise tokens are the ones kept
    assert torch.equal(a[1][0] == 0, noise[0] <= noise[0].sort().values[3])


def test_masking_rejects_full_ratio():
    with pytest.raises(ValueError, match='mask_ratio'):
        random_masking(torch.randn(1, 4, 2), 1.0)


def test_patchify_layout_and_roundtrip():
    x = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).reshape(2, 3, 8, 8)
    tokens = patchify(x, 4)
    assert tokens.shape == (2, 4, 48)
    # token 1 is the top-right patch; inside a patch the layout is (p, q, c) as in MAE
    assert torch.equal(tokens[0, 1].reshape(4, 4, 3).permute(2, 0, 1), x[0, :, :4, 4:])
    assert torch.equal(unpatchify(tokens, 4, (2, 2), 3), x)
    with pytest.raises(ValueError, match='divisible'):
        patchify(torch.zeros(1, 1, 6, 6), 4)


def test_patch_mask_to_image():
    mask = torch.tensor([[1.0, 0.0, 0.0, 1.0]])
    img = patch_mask_to_image(mask, (2, 2), 3)
    assert img.shape == (1, 1, 6, 6)
    assert img[0, 0, :3, :3].eq(1).all() and img[0, 0, :3, 3:].eq(0).all() and img[0, 0, 3:, 3:].eq(1).all()


@pytest.mark.parametrize('dtype', [torch.float32, torch.bfloat16])
@pytest.mark.parametrize('bias_kind', [None, 'fixed', 'learned'])
def test_dot_product_attention_matches_softmax_formula(dtype, bias_kind):
    """Every path (fused kernel for fp32, batched matmuls for bf16 on CPU or for a learned bias) equals
    softmax(q·kᵀ/√d + bias)·v in float64, forward and gradients (the learned bias's too), within the dtype's
    precision."""
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 3, 10, 8, dtype=torch.float64) for _ in range(3))
    bias = torch.randn(1, 3, 10, 10, dtype=torch.float64) if bias_kind else None
    learned = bias_kind == 'learned'

    def run(dt):
        qq, kk, vv = (t.to(dt).requires_grad_() for t in (q, k, v))
        bb = None if bias is None else bias.to(dt).requires_grad_(learned)
        out = dot_product_attention(qq, kk, vv, bb)
        (out * torch.linspace(-1, 1, 8, dtype=dt)).sum().backward()
        return [t.double() for t in (out, qq.grad, kk.grad, vv.grad, *([bb.grad] if learned else []))]

    scores = q @ k.transpose(-2, -1) / 8**0.5 + (0 if bias is None else bias)
    expected_out = scores.softmax(-1) @ v
    qq, kk, vv = (t.clone().requires_grad_() for t in (q, k, v))
    bb = None if bias is None else bias.clone().requires_grad_(learned)
    ref = ((qq @ kk.transpose(-2, -1)) / 8**0.5 + (0 if bb is None else bb)).softmax(-1) @ vv
    (ref * torch.linspace(-1, 1, 8, dtype=torch.float64)).sum().backward()
    tol = dict(rtol=0, atol=1e-5) if dtype == torch.float32 else dict(rtol=0, atol=6e-2)
    results = run(dtype)
    assert len(results) == (5 if learned else 4)
    for got, want in zip(results, (expected_out, qq.grad, kk.grad, vv.grad, bb.grad if learned else None)):
        torch.testing.assert_close(got, want, **tol)


def test_attention_is_timm_attention_on_the_dispatching_kernel():
    """Same parameters and keys as timm's Attention, so its state dicts (and MAE/DiT checkpoints) load; same
    output in fp32; and it serves as timm Block's attn_layer."""
    from timm.models.vision_transformer import Attention as TimmAttention
    from timm.models.vision_transformer import Block

    torch.manual_seed(0)
    theirs = TimmAttention(32, num_heads=4, qkv_bias=True)
    ours = Attention(32, num_heads=4, qkv_bias=True)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(3, 7, 32)
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-6)
    with torch.autocast('cpu', dtype=torch.bfloat16):  # the matmul path: still close to timm's fp32 output
        half = ours(x).float()
    torch.testing.assert_close(half, theirs(x), rtol=0, atol=5e-2)
    torch.testing.assert_close(ours(x, is_causal=True), theirs(x, is_causal=True), rtol=1e-5, atol=1e-6)
    block = Block(32, 4, qkv_bias=True, attn_layer=Attention)
    assert isinstance(block.attn, Attention)


def test_patch_embed_is_timms_with_contiguous_tokens():
    """Same keys and values as timm's PatchEmbed; the tokens are laid out (B, N, D) in memory, so a residual stream
    built on them stays contiguous (timm's are a transposed view)."""
    from timm.layers import PatchEmbed as TimmPatchEmbed

    torch.manual_seed(0)
    theirs = TimmPatchEmbed(8, 2, 4, 16)
    ours = PatchEmbed(8, 2, 4, 16)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(3, 4, 8, 8)
    tokens = ours(x)
    assert not theirs(x).is_contiguous() and tokens.is_contiguous()
    torch.testing.assert_close(tokens, theirs(x), rtol=0, atol=0)


def test_split_heads_views_the_projection_and_returns_its_gradient_in_place():
    """q, k, v as views of the fused projection (what the permuted reshape gave), and their gradients gathered
    into one tensor of the projection's layout."""
    torch.manual_seed(0)
    b, n, heads, d = 2, 5, 3, 4
    qkv = torch.randn(b, n, 3 * heads * d, requires_grad=True)
    q, k, v = split_heads(qkv, heads)
    want = qkv.detach().reshape(b, n, 3, heads, d).permute(2, 0, 3, 1, 4)
    for got, expected in zip((q, k, v), want):
        assert got.shape == (b, heads, n, d)
        torch.testing.assert_close(got, expected, rtol=0, atol=0)
        assert got.untyped_storage().data_ptr() == qkv.untyped_storage().data_ptr()  # a view, not a copy
    weights = [torch.randn(b, heads, n, d) for _ in range(3)]
    sum((t * w).sum() for t, w in zip((q, k, v), weights)).backward()
    expected_grad = torch.stack(weights).permute(1, 3, 0, 2, 4).reshape(b, n, -1)  # (3,B,h,N,d) -> (B,N,3·h·d)
    torch.testing.assert_close(qkv.grad, expected_grad, rtol=0, atol=0)
