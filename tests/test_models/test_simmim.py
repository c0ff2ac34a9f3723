"""SimMIM (Swin and ViT encoders, linear head, L1 loss) inside LMD's masked-modelling algorithm: the whole loss
against mmpretrain's SimMIM on the same random weights, image and mask, and the masking and encoders against
direct computation."""

import math

import pytest
import torch
from mmengine.registry import DefaultScope

from lmdkit.models.backbones import MAEViT, SimMIMSwin, SimMIMViT
from lmdkit.models.backbones.simmim import unit_mask
from lmdkit.models.layers import patchify, random_masking, unpatchify
from lmdkit.registry import MODELS

from ..conftest import fixed_batch_losses, ramp_images, require

SWIN = dict(type='SimMIMSwin', img_size=32, patch_size=4, in_channels=3, embed_dim=16, depths=(2, 2),
            num_heads=(1, 2), window_size=2)  # fmt: skip


def simmim_lmd(backbone=SWIN, neck=None):
    neck = neck or dict(type='SimMIMLinearDecoder', in_dim=32, patch_size=8, out_channels=3, skip_tokens=0)
    return MODELS.build(dict(type='LMD', data_preprocessor=dict(type='ImgDataPreprocessor', mean=[127.5] * 3,
                                                                std=[127.5] * 3),
                             projector=dict(type='IdentityProjector', in_channels=3), backbone=backbone, neck=neck,
                             loss=dict(type='MaskedL1Loss'), mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.6),
                             val_mask_ratio=0.6))  # fmt: skip


def randomise(module, seed=1):
    torch.manual_seed(seed)
    for p in module.parameters():
        p.data.normal_(0, 0.2)
    return module


def mmpretrain_state(ours: SimMIMSwin, neck, depths=(2, 2)) -> tuple:
    """Our Swin and head weights in mmpretrain's layout: renamed keys, each patch merging moved to the end of the
    stage before and its 4C inputs reordered (timm concatenates the 2x2 neighbours as (col, row, C), mmpretrain's
    nn.Unfold as (C, row, col)), and the linear head as a 1x1 convolution before a pixel shuffle."""
    state = {}
    for name, v in ours.swin.state_dict().items():
        if 'relative_position_index' in name or 'attn_mask' in name:
            continue
        n = name.replace('patch_embed.proj', 'patch_embed.projection').replace('layers.', 'stages.')
        n = n.replace('attn.relative_position_bias_table', 'attn.w_msa.relative_position_bias_table')
        n = n.replace('attn.qkv', 'attn.w_msa.qkv').replace('attn.proj', 'attn.w_msa.proj')
        n = n.replace('mlp.fc1', 'ffn.layers.0.0').replace('mlp.fc2', 'ffn.layers.1')
        if '.downsample.' in n:  # timm: start of stage i; mmpretrain: end of stage i - 1
            i = int(n.split('.')[1])
            n = n.replace(f'stages.{i}.downsample', f'stages.{i - 1}.downsample')
            c = v.shape[-1] // 4
            order = torch.tensor(
                [col * 2 * c + row * c + ch for ch in range(c) for row in range(2) for col in range(2)]
            )
            v = v[..., order]
        if n.startswith('norm.'):
            n = n.replace('norm.', f'norm{len(depths) - 1}.')
        state[n] = v
    state['mask_token'] = ours.mask_token.reshape(1, 1, -1)
    p, c = 8, 3
    order = torch.tensor([(i * p + j) * c + ch for ch in range(c) for i in range(p) for j in range(p)])
    head = {'decoder.0.weight': neck.proj.weight[order][..., None, None], 'decoder.0.bias': neck.proj.bias[order]}
    return state, head


def test_simmim_swin_loss_equals_mmpretrain():
    require('mmpretrain')
    from mmpretrain.models.heads import SimMIMHead
    from mmpretrain.models.necks import SimMIMLinearDecoder
    from mmpretrain.models.selfsup.simmim import SimMIMSwinTransformer

    model = simmim_lmd()
    randomise(model)
    ref = SimMIMSwinTransformer(arch=dict(embed_dims=16, depths=[2, 2], num_heads=[1, 2]), img_size=32, in_channels=3,
                                stage_cfgs=dict(block_cfgs=dict(window_size=2)), out_indices=(1,))  # fmt: skip
    ref.eval()  # (its train() returns None)
    ref_neck = SimMIMLinearDecoder(in_channels=32, encoder_stride=8)
    state, head = mmpretrain_state(model.backbone, model.neck)
    missing, unexpected = ref.load_state_dict(state, strict=False)
    assert not unexpected and all('relative_position_index' in k for k in missing)
    ref_neck.load_state_dict(head)
    with DefaultScope.overwrite_default_scope('mmpretrain'):  # its head builds its loss in its own registry
        ref_head = SimMIMHead(patch_size=4, loss=dict(type='PixelReconstructionLoss', criterion='L1', channel=3))
    model.eval()
    torch.manual_seed(0)
    images = torch.randn(2, 3, 32, 32)
    noise = torch.rand(2, 16)  # per 8-px prediction patch (4x4)
    pred, mask = model.predict_patches(images, 0.6, noise)
    ours = model.loss_module(pred, patchify(images, 8), mask)
    token_mask = mask.reshape(2, 4, 4).repeat_interleave(2, 1).repeat_interleave(2, 2)  # (B, 8, 8) at 4-px tokens
    with torch.no_grad():
        rec = ref_neck(ref(images, token_mask)[0])
        theirs = ref_head.loss(rec, images, token_mask)
    torch.testing.assert_close(unpatchify(pred, 8, (4, 4), 3), rec, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)
    assert int(mask.sum(1)[0]) == math.ceil(16 * 0.6)  # SimMIM's count: ceil(units x ratio)


def test_unit_mask_masks_whole_units_as_random_masking_picks_them():
    torch.manual_seed(0)
    noise = torch.rand(3, 8 * 8)
    mask = unit_mask(noise, (8, 8), 2, 0.6).reshape(3, 8, 8)
    units = mask[:, ::2, ::2]
    assert torch.equal(mask, units.repeat_interleave(2, 1).repeat_interleave(2, 2))  # each unit whole
    per_unit = noise.reshape(3, 8, 8)[:, ::2, ::2].reshape(3, 16)
    _, ref, _ = random_masking(torch.zeros(3, 16, 1), 0.6, per_unit)
    assert torch.equal(units.reshape(3, 16), ref) and (units.reshape(3, 16).sum(1) == math.ceil(16 * 0.6)).all()


def test_simmim_vit_encodes_every_position_with_mask_tokens():
    vit = randomise(SimMIMViT(img_size=16, patch_size=4, mask_patch_size=8, in_channels=3, embed_dim=32, depth=2,
                              num_heads=2)).eval()  # fmt: skip
    seen = {}
    vit.blocks[0].register_forward_hook(lambda m, args, out: seen.update(x=args[0]))
    x, noise = torch.randn(2, 3, 16, 16), torch.rand(2, 16)
    tokens, mask, ids = vit(x, 0.5, noise)
    assert tokens.shape == (2, 17, 32) and ids is None and torch.equal(mask, unit_mask(noise, (4, 4), 2, 0.5))
    m = mask.unsqueeze(-1)
    expected = vit.patch_embed(x) * (1 - m) + vit.mask_token * m + vit.pos_embed[:, 1:]
    torch.testing.assert_close(seen['x'][:, 1:], expected)
    plain = MAEViT(img_size=16, patch_size=4, in_channels=3, embed_dim=32, depth=2, num_heads=2).eval()
    plain.load_state_dict({k: v for k, v in vit.state_dict().items() if k != 'mask_token'})
    torch.testing.assert_close(vit(x)[0], plain(x)[0])  # unmasked: MAE's encoder on all tokens
    with pytest.raises(ValueError, match='multiple of patch_size'):
        SimMIMViT(img_size=16, patch_size=4, mask_patch_size=6, embed_dim=32, depth=1, num_heads=2)


def test_simmim_swin_unmasked_is_timm_swin_and_masked_tokens_take_the_mask_token():
    swin = randomise(MODELS.build(SWIN)).eval()
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(swin(x)[0], swin.swin.forward_features(x).flatten(1, 2))
    seen = {}
    swin.swin.layers.register_forward_hook(lambda m, args, out: seen.update(x=args[0]))
    noise = torch.rand(2, 16)
    _, mask, _ = swin(x, 0.6, noise)
    m = mask.reshape(2, 4, 4).repeat_interleave(2, 1).repeat_interleave(2, 2)[..., None]
    torch.testing.assert_close(seen['x'], swin.swin.patch_embed(x) * (1 - m) + swin.mask_token * m)
    assert swin.patch_size == 8 and swin.grid_size == (4, 4) and 'mask_token' in swin.no_weight_decay()


def test_masked_l1_is_the_mean_absolute_error_over_masked_pixels():
    loss = MODELS.build(dict(type='MaskedL1Loss'))
    torch.manual_seed(0)
    pred, target = torch.randn(2, 4, 12), torch.randn(2, 4, 12)
    mask = torch.tensor([[1.0, 0, 1, 0], [0, 0, 1, 1]])
    expected = ((pred - target).abs() * mask[..., None]).sum() / (mask.sum() * 12)
    torch.testing.assert_close(loss(pred, target, mask), expected)


def simmim_vit_lmd(size: int, patch: int, depth: int):
    """A SimMIM ViT (32 wide, mask units of 2x2 patches) inside LMD."""
    vit = dict(type='SimMIMViT', img_size=size, patch_size=patch, mask_patch_size=2 * patch, in_channels=3,
               embed_dim=32, depth=depth, num_heads=2)  # fmt: skip
    head = dict(type='SimMIMLinearDecoder', in_dim=32, patch_size=patch, out_channels=3, skip_tokens=1)
    return simmim_lmd(backbone=vit, neck=head)


def test_simmim_vit_trains_on_a_fixed_batch():
    losses = fixed_batch_losses(simmim_vit_lmd(32, 8, 2), ramp_images(3, 32))
    assert losses[-1] < 0.5 * losses[0]


def test_iterative_unmasking_refuses_masks_in_units_of_several_tokens():
    """Generating needs the model to hide exactly the tokens not generated yet; SimMIM's 2x2-token units cannot."""
    from lmdkit.models.algorithms.lmd_sampler import iterative_unmask

    model = simmim_vit_lmd(16, 4, 1)
    visible = torch.zeros(1, 16, dtype=torch.bool)
    visible[0, [0, 5, 10]] = True  # single tokens, not whole units
    with pytest.raises(ValueError, match='masks single tokens'):
        iterative_unmask(model.eval(), torch.randn(1, 16, 48), visible, [0.2, 1.0], torch.Generator().manual_seed(0))


def test_swin_layer_ids_are_mmpretrains_for_layerwise_lr_decay():
    require('mmpretrain')
    from types import SimpleNamespace

    from mmpretrain.models.backbones import SwinTransformer

    from lmdkit.engine.optimizers import layer_decay_param_groups

    swin = MODELS.build(SimMIMSwin.example().cfg)
    depths = swin.stage_depths
    ref = SimpleNamespace(depths=list(depths))

    def mmpretrain_name(name: str) -> str:  # timm opens stage i with the merging that mmpretrain closes stage i-1 with
        parts = name[len('swin.') :].split('.')
        if parts[0] == 'layers' and parts[2] == 'downsample':
            return '.'.join(['stages', str(int(parts[1]) - 1), 'downsample', *parts[3:]])
        return name[len('swin.') :].replace('layers.', 'stages.', 1)

    names = [n for n, _ in swin.named_parameters() if n.startswith('swin.')]
    assert any('downsample' in n for n in names) and any('swin.norm' in n for n in names)
    for name in names:
        assert swin.get_layer_id(name) == SwinTransformer.get_layer_depth(ref, mmpretrain_name(name))[0], name
    assert swin.get_layer_id('mask_token') == 0  # SimMIM's own rule (mmpretrain leaves it to the last layer)
    groups = layer_decay_param_groups(torch.nn.ModuleDict(dict(backbone=swin)), 1e-3, 0.05, 0.9)
    assert {g['layer_id'] for g in groups} == set(range(swin.depth + 2))
