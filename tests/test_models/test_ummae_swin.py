"""UM-MAE's Swin: the compacted grid of the kept units (built here in pixel space), the decoder order its
``ids_restore`` gives, position-MLP window attention and shifted windows against dense attention, secondary
masking, and a pretraining that learns."""

import pytest
import torch

from lmdkit.models.backbones import UMMAESwin
from lmdkit.models.backbones.ummae_swin import PosMLPWindowAttention, UMSwinBlock
from lmdkit.models.necks import MAEPretrainDecoder
from lmdkit.registry import MODELS

from ..conftest import fixed_batch_losses, ramp_images


def tiny(**kw):
    torch.manual_seed(1)
    cfg = dict(img_size=32, patch_size=2, in_channels=1, unit_size=4, embed_dim=16, depths=(2, 2, 2),
               num_heads=(1, 2, 4), window_size=4)  # fmt: skip
    model = UMMAESwin(**{**cfg, **kw})
    for p in model.parameters():
        p.data.normal_(0, 0.2)
    return model


def block_choices(mask, grid):
    """(B, L) mask -> per sample, per 2x2 block in raster order, the (row, col) of its kept unit, by loops."""
    out = []
    for m in mask:
        m = m.reshape(grid, grid)
        out.append([next((2 * by + dy, 2 * bx + dx) for dy in (0, 1) for dx in (0, 1)
                         if m[2 * by + dy, 2 * bx + dx] == 0)
                    for by in range(grid // 2) for bx in range(grid // 2)])  # fmt: skip
    return out


def test_the_encoder_sees_the_kept_units_compacted_in_pixel_space_at_their_true_positions():
    model = tiny().eval()
    seen = {}
    model.stages[0].blocks[0].register_forward_hook(lambda m, args, out: seen.update(x=args[0], pos=args[1]))
    x, noise = torch.randn(2, 1, 32, 32), torch.rand(2, 64)
    out, mask, _ = model(x, 0.75, noise)
    assert out.shape == (2, 4, 64) and (mask.sum(1) == 48).all()
    compact = torch.zeros(2, 1, 16, 16)  # the half-size image of kept 4-px units
    pos = torch.zeros(2, 8, 8, 2)  # their first-stage tokens' (row, col) in the full 16x16 token grid
    for b, choices in enumerate(block_choices(mask, 8)):
        for k, (uy, ux) in enumerate(choices):
            by, bx = divmod(k, 4)
            compact[b, :, 4 * by : 4 * by + 4, 4 * bx : 4 * bx + 4] = x[b, :, 4 * uy : 4 * uy + 4, 4 * ux : 4 * ux + 4]
            for i in range(2):
                for j in range(2):
                    pos[b, 2 * by + i, 2 * bx + j] = torch.tensor([2 * uy + i, 2 * ux + j], dtype=torch.float)
    expected = model.patch_norm(model.patch_embed(compact).permute(0, 2, 3, 1))
    torch.testing.assert_close(seen['x'], expected)
    torch.testing.assert_close(seen['pos'], pos)
    torch.testing.assert_close(out, model._encode(expected, pos))


def test_ids_restore_puts_each_decoder_token_at_its_units_place():
    """Decoder tokens come in the compacted grid's order (block by block); ids_restore must put token k at the
    unit kept in block k (UM-MAE's own decoder adds positions in the units' raster order instead)."""
    model = tiny().eval()
    _, mask, ids_restore = model(torch.randn(3, 1, 32, 32), 0.75, torch.rand(3, 64))
    for b, choices in enumerate(block_choices(mask, 8)):
        shuffled = torch.tensor([uy * 8 + ux for uy, ux in choices] + [-1] * 48)
        restored = shuffled[ids_restore[b]]
        kept = mask[b] == 0
        assert torch.equal(restored[kept], torch.arange(64)[kept]) and (restored[~kept] == -1).all()


def test_the_decoders_expansion_is_a_pixel_shuffle_of_the_encoder_grid():
    torch.manual_seed(0)
    neck = MAEPretrainDecoder(grid_size=8, patch_size=4, out_channels=1, in_dim=32, embed_dim=8, depth=1,
                              num_heads=2, cls_token=False, expand=2)  # fmt: skip
    x = neck.decoder_embed(torch.randn(2, 16, 32))  # a 4x4 encoder grid, 4·8 channels per token
    ours = neck._pixel_shuffle(x)
    reference = torch.nn.PixelShuffle(2)(x.transpose(1, 2).reshape(2, 32, 4, 4)).flatten(2).transpose(1, 2)
    torch.testing.assert_close(ours, reference)
    with pytest.raises(ValueError, match='expand must be >= 1, and 1 with a class token'):
        MAEPretrainDecoder(grid_size=8, patch_size=4, out_channels=1, in_dim=32, expand=2)


def test_position_mlp_attention_against_hand_computation():
    torch.manual_seed(0)
    attn = PosMLPWindowAttention(8, 2, posmlp_dim=4)
    x, pos = torch.randn(3, 5, 8), torch.randint(0, 9, (3, 5, 2)).float()
    out = attn(x, pos)
    q, k, v = attn.qkv(x).chunk(3, dim=-1)
    expected = torch.zeros_like(x)
    for w in range(3):
        for h in range(2):
            s = slice(4 * h, 4 * h + 4)
            logits = q[w, :, s] @ k[w, :, s].T / 2.0  # head dim 4
            for i in range(5):
                for j in range(5):
                    d = pos[w, j] - pos[w, i]
                    logits[i, j] += attn.posmlp(torch.sign(d) * torch.log(1 + d.abs()))[h]
            expected[w, :, s] = logits.softmax(-1) @ v[w, :, s]
    torch.testing.assert_close(out, attn.proj(expected))


@pytest.mark.parametrize('shifted', [False, True])
def test_a_block_is_dense_attention_within_each_unwrapped_shifted_window(shifted):
    """Window attention equals attention over all tokens restricted to pairs in one (shifted) window that the
    cyclic shift did not bring together from opposite edges (their distance is under a window)."""
    torch.manual_seed(0)
    block = UMSwinBlock(8, 2, window_size=4, shifted=shifted, mlp_ratio=2.0, posmlp_dim=4, drop_path=0.0)
    h = w = 8
    x = torch.randn(1, h, w, 8)
    rows, cols = torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij')
    coords = torch.stack([rows, cols], -1).reshape(-1, 2)
    pos = (coords.float() * 1.5).reshape(1, h, w, 2)  # any positions: the bias follows them, not the grid
    out = block(x, pos, {})
    shift = 2 if shifted else 0
    window = ((coords - shift) % 8) // 4
    allowed = (window[:, None] == window[None]).all(-1) & ((coords[:, None] - coords[None]).abs() < 4).all(-1)
    y = block.norm1(x).reshape(-1, 8)
    q, k, v = block.attn.qkv(y).chunk(3, dim=-1)
    p = pos.reshape(-1, 2)
    d = p[None, :, :] - p[:, None, :]
    bias = block.attn.posmlp(torch.sign(d) * torch.log1p(d.abs()))  # (64, 64, heads)
    heads = []
    for hd in range(2):
        s = slice(4 * hd, 4 * hd + 4)
        logits = (q[:, s] @ k[:, s].T / 2.0 + bias[..., hd]).masked_fill(~allowed, float('-inf'))
        heads.append(logits.softmax(-1) @ v[:, s])
    mid = x.reshape(-1, 8) + block.attn.proj(torch.cat(heads, -1))
    expected = mid + block.mlp(block.norm2(mid))
    torch.testing.assert_close(out.reshape(-1, 8), expected)
    assert block.layout(4, 4) == (4, 0) and block.layout(8, 8) == (4, 2 if shifted else 0)


def test_secondary_masking_replaces_whole_kept_units_in_training_only():
    model = tiny()
    seen = {}
    model.stages[0].blocks[0].register_forward_hook(lambda m, args, out: seen.update(x=args[0]))
    x, noise = torch.randn(2, 1, 32, 32), torch.rand(2, 64)
    model.eval()
    _, mask, _ = model(x, 0.75, noise)
    clean = seen['x']
    model.train()
    _, train_mask, _ = model(x, 0.75, noise)
    assert torch.equal(train_mask, mask)
    changed = ~torch.isclose(seen['x'], clean).all(-1)  # (B, 8, 8) tokens
    units = changed.reshape(2, 4, 2, 4, 2).permute(0, 1, 3, 2, 4).reshape(2, 16, 4)
    assert (units.all(-1) | ~units.any(-1)).all()  # a unit is replaced whole or not at all
    assert (units.all(-1).sum(1) == 16 - int(16 * 0.75)).all()
    token = model.patch_norm(model.vis_mask_token).reshape(-1)
    torch.testing.assert_close(seen['x'][changed], token.expand(int(changed.sum()), -1))


def test_unmasked_runs_the_full_grid_and_bad_geometry_is_refused():
    model = tiny().eval()
    out, mask, ids = model(torch.randn(2, 1, 32, 32))
    assert out.shape == (2, 16, 64) and mask is None and ids is None
    with pytest.raises(ValueError, match='uniform sampling, ratio 0.75'):
        model(torch.randn(1, 1, 32, 32), 0.5)
    with pytest.raises(ValueError, match=r'exactly one unit of every 2x2 block.*\[4\]'):
        model.forward_mask(torch.randn(1, 1, 32, 32), torch.zeros(1, 64))
    with pytest.raises(ValueError, match='multiple of 2 x unit_size'):
        tiny(unit_size=6)
    with pytest.raises(ValueError, match='does not tile into 3x3 windows'):
        tiny(window_size=3)(torch.randn(1, 1, 32, 32))
    ids = {model.get_layer_id(n) for n, _ in model.named_parameters()}
    assert ids == set(range(model.depth + 2))
    merge = model.get_layer_id('stages.1.downsample.proj.weight')
    assert merge == model.get_layer_id('stages.0.blocks.1.mlp.fc1.weight') == 2


def test_ummae_swin_trains_in_lmd():
    model = MODELS.build(dict(type='LMD', data_preprocessor=dict(type='ImgDataPreprocessor', mean=[127.5], std=[127.5]),
                              projector=dict(type='IdentityProjector', in_channels=1),
                              backbone=dict(type='UMMAESwin', img_size=16, patch_size=2, in_channels=1, unit_size=4,
                                            embed_dim=16, depths=(2, 2), num_heads=(1, 2), window_size=4),
                              neck=dict(type='MAEPretrainDecoder', grid_size=4, patch_size=4, out_channels=1, in_dim=32,
                                        embed_dim=32, depth=1, num_heads=2, cls_token=False, expand=1),
                              mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.75)))  # fmt: skip
    losses = fixed_batch_losses(model, ramp_images(1, 16)[:2])
    assert losses[-1] < 0.5 * losses[0]
