"""UM-MAE's encoder: uniform sampling (one kept token per 2x2 block, a balanced pool of positions) and secondary
masking (kept tokens replaced by a mask token in training), against direct computation."""

import pytest
import torch

from lmdkit.models.backbones import MAEViT, UMMAEViT
from lmdkit.models.backbones.ummae import uniform_sampling_noise
from lmdkit.models.layers import random_masking
from lmdkit.registry import MODELS

from ..conftest import fixed_batch_losses, ramp_images


def tiny(**kw):
    torch.manual_seed(1)
    model = UMMAEViT(img_size=16, patch_size=2, in_channels=3, embed_dim=32, depth=2, num_heads=2, **kw)
    for p in model.parameters():
        p.data.normal_(0, 0.2)
    return model


@pytest.mark.parametrize('grid', [8, 14])  # 16 blocks; 49 (not a multiple of 4)
def test_uniform_sampling_keeps_one_token_per_block_in_raster_order_from_a_balanced_pool(grid):
    torch.manual_seed(0)
    length, half = grid * grid, grid // 2
    blocks = half * half
    noise = torch.rand(200, length)
    _, mask, ids_restore = random_masking(
        torch.zeros(200, length, 1), 0.75, uniform_sampling_noise(noise, (grid, grid))
    )
    kept = 1 - mask.reshape(200, half, 2, half, 2)
    assert torch.equal(kept.sum((2, 4)), torch.ones(200, half, half))  # exactly one per 2x2 block
    ids_keep = torch.argsort(ids_restore, 1)[:, :blocks]
    assert torch.equal(ids_keep, ids_keep.sort(1).values)  # the encoder sees them in raster order
    positions = kept.permute(0, 1, 3, 2, 4).reshape(200, blocks, 4).argmax(-1)  # 0..3 within each block
    counts = torch.stack([torch.bincount(p, minlength=4) for p in positions])  # (200, 4)
    # drawn from a pool of 4·⌈blocks/2⌉ holding each position ⌈blocks/2⌉ times (the official generator's)
    assert int(counts.max()) <= -(-blocks // 2) and (counts.sum(1) == blocks).all()
    assert (counts.float().mean(0) - blocks / 4).abs().max() < 0.1 * blocks  # no position favoured
    assert not torch.equal(positions[0], positions[1])  # random per sample


def test_secondary_masking_replaces_kept_tokens_in_training_only():
    model = tiny()
    seen = {}
    model.blocks[0].register_forward_hook(lambda m, args, out: seen.update(x=args[0]))
    x, noise = torch.randn(2, 3, 16, 16), torch.rand(2, 64)
    model.eval()
    _, mask, ids_restore = model(x, 0.75, noise)
    tokens = model.patch_embed(x) + model.pos_embed[:, 1:]
    ids_keep = torch.argsort(ids_restore, 1)[:, :16]
    visible = torch.gather(tokens, 1, ids_keep.unsqueeze(-1).expand(-1, -1, 32))
    torch.testing.assert_close(seen['x'][:, 1:], visible)  # evaluation: no secondary masking
    model.train()
    _, train_mask, _ = model(x, 0.75, noise)
    assert torch.equal(train_mask, mask)  # the loss's mask is uniform sampling's
    replaced = ~torch.isclose(seen['x'][:, 1:], visible).all(-1)  # (B, 16)
    assert (replaced.sum(1) == 16 - int(16 * 0.75)).all()
    pos_kept = torch.gather(model.pos_embed[:, 1:].expand(2, -1, -1), 1, ids_keep.unsqueeze(-1).expand(-1, -1, 32))
    expected = (model.vis_mask_token + pos_kept)[replaced]
    torch.testing.assert_close(seen['x'][:, 1:][replaced], expected)


def test_unmasked_is_mae_and_other_ratios_are_refused():
    model = tiny().eval()
    plain = MAEViT(img_size=16, patch_size=2, in_channels=3, embed_dim=32, depth=2, num_heads=2).eval()
    plain.load_state_dict({k: v for k, v in model.state_dict().items() if k != 'vis_mask_token'})
    x = torch.randn(2, 3, 16, 16)
    torch.testing.assert_close(model(x)[0], plain(x)[0])
    with pytest.raises(ValueError, match='uniform sampling, ratio 0.75'):
        model(x, 0.5)
    with pytest.raises(ValueError, match='even sides'):
        UMMAEViT(img_size=12, patch_size=4, embed_dim=32, depth=1, num_heads=2)


def test_ummae_trains_in_lmd():
    model = MODELS.build(dict(type='LMD', data_preprocessor=dict(type='ImgDataPreprocessor', mean=[127.5], std=[127.5]),
                              projector=dict(type='IdentityProjector', in_channels=1),
                              backbone=dict(type='UMMAEViT', img_size=16, patch_size=2, in_channels=1, embed_dim=32,
                                            depth=2, num_heads=2),
                              neck=dict(type='MAEPretrainDecoder', grid_size=8, patch_size=2, out_channels=1, in_dim=32,
                                        embed_dim=32, depth=1, num_heads=2),
                              mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.75)))  # fmt: skip
    losses = fixed_batch_losses(model, ramp_images(1, 16)[:2])
    assert losses[-1] < 0.5 * losses[0]
