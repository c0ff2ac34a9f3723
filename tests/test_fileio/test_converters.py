"""Weight interop against the reference implementations on random weights: Hugging Face ViTMAE (both key layouts)
and the official MAE release format (timm's ViT is MAE's encoder) into our MAEViT/LMD, our encoder out to timm."""

import pytest
import torch

from lmdkit.fileio.converters import convert_hf_vitmae, export_timm_vit
from lmdkit.fileio.weights import read_lmdkit_state
from lmdkit.models.initializers import load_encoder_weights
from lmdkit.models.layers import resize_pos_embed
from lmdkit.registry import MODELS

from ..conftest import require, tiny_classifier_model, tiny_lmd_model

# tiny_lmd_model's shapes: 16x16x1 images, patch 4, width 32, depth 2, 2 heads; decoder width 16, depth 1
HF_KW = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128, image_size=16,
             patch_size=4, num_channels=1, decoder_hidden_size=16, decoder_num_hidden_layers=1,
             decoder_num_attention_heads=2, decoder_intermediate_size=64, mask_ratio=0.75, qkv_bias=True,
             layer_norm_eps=1e-6, norm_pix_loss=False)  # fmt: skip


def hf_mae(seed=0):
    transformers = require('transformers')
    torch.manual_seed(seed)
    model = transformers.ViTMAEForPreTraining(transformers.ViTMAEConfig(**HF_KW)).eval()
    for p in model.parameters():  # HF zero-inits biases and LayerNorms: randomise everything so a swap shows
        p.data.normal_(0, 0.2)
    return model


HF5_TO_HF4 = (
    ('attention.q_proj', 'attention.attention.query'),
    ('attention.k_proj', 'attention.attention.key'),
    ('attention.v_proj', 'attention.attention.value'),
    ('attention.o_proj', 'attention.output.dense'),
    ('mlp.fc1', 'intermediate.dense'),
    ('mlp.fc2', 'output.dense'),
)


def to_hf4_layout(state):
    """The transformers 4.x names of the released hub files, from the 5.x names (an independent renaming)."""
    import re

    out = {}
    for k, v in state.items():
        m = re.match(r'(vit\.layers|decoder\.decoder_layers)\.(\d+)\.(.+)', k)
        if not m:
            out[k] = v
            continue
        head = 'vit.encoder.layer' if m.group(1) == 'vit.layers' else 'decoder.decoder_layers'
        rest = m.group(3)
        for new, old in HF5_TO_HF4:
            if rest.startswith(new):
                rest = old + rest[len(new) :]
        out[f'{head}.{m.group(2)}.{rest}'] = v
    return out


@pytest.mark.parametrize('layout', ['hf5', 'hf4'])
def test_hf_vitmae_matches_transformers(tmp_path, layout):
    ref = hf_mae()
    state = ref.state_dict()
    if layout == 'hf4':
        state = to_hf4_layout(state)
        assert any('attention.attention.query' in k for k in state)
    from safetensors.torch import save_file

    path = str(tmp_path / 'model.safetensors')
    save_file({k: v.contiguous() for k, v in state.items()}, path)
    ours = MODELS.build(tiny_lmd_model(backbone=dict(tiny_lmd_model()['backbone'], norm_eps=1e-6)))
    ours.load_state_dict(read_lmdkit_state(path), strict=True)  # every key of ours, nothing left over
    ours.eval()
    x = torch.randn(3, 1, 16, 16)
    noise = torch.rand(3, 16)
    with torch.no_grad():
        out = ref(pixel_values=x, noise=noise)
        tokens, mask, ids_restore = ours.backbone(x, 0.75, noise)
        hidden = ref.vit(pixel_values=x, noise=noise).last_hidden_state
        torch.testing.assert_close(tokens, hidden, atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(mask, out.mask)
        torch.testing.assert_close(ours.neck(tokens, ids_restore), out.logits, atol=1e-5, rtol=1e-4)


def test_hf_converter_rejects_unknown_keys():
    ref = hf_mae()
    state = dict(ref.state_dict())
    state['vit.layers.0.mystery.weight'] = torch.zeros(1)
    with pytest.raises(KeyError, match='mystery'):
        convert_hf_vitmae(state)


def timm_mae_encoder(seed=0, **kw):
    timm = require('timm')
    torch.manual_seed(seed)
    args = dict(img_size=16, patch_size=4, in_chans=1, embed_dim=32, depth=2, num_heads=2, num_classes=0)
    args.update(kw)
    model = timm.models.vision_transformer.VisionTransformer(**args).eval()
    for p in model.parameters():
        p.data.normal_(0, 0.2)
    return model


def test_official_mae_release_format_matches_timm_encoder(tmp_path):
    """MAE's release files are {'model': timm-ViT state dict}; the encoder-only and _full variants both load."""
    ref = timm_mae_encoder()
    lmd = MODELS.build(tiny_lmd_model())
    decoder = {k[len('neck.') :]: v.normal_(0, 0.2) for k, v in lmd.state_dict().items() if k.startswith('neck.')}
    full = dict(ref.state_dict(), **decoder)
    torch.save(dict(model=ref.state_dict()), tmp_path / 'mae_pretrain_vit_tiny.pth')
    torch.save(dict(model=full), tmp_path / 'mae_visualize_vit_tiny_full.pth')
    lmd.load_state_dict(read_lmdkit_state(str(tmp_path / 'mae_visualize_vit_tiny_full.pth')), strict=True)
    for key, value in decoder.items():
        torch.testing.assert_close(lmd.state_dict()['neck.' + key], value)
    encoder = MODELS.build(tiny_lmd_model()['backbone']).eval()
    report = load_encoder_weights(encoder, str(tmp_path / 'mae_pretrain_vit_tiny.pth'), strict=True)
    assert report['missing'] == [] and report['unexpected'] == []
    x = torch.randn(2, 1, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(encoder(x)[0], ref.forward_features(x), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize('pool', ['avg', 'token'])
def test_export_to_timm_gives_identical_outputs(tmp_path, pool):
    timm = require('timm')
    torch.manual_seed(0)
    cfg = tiny_classifier_model(global_pool=pool)
    cfg['backbone'] = dict(cfg['backbone'], final_norm=pool == 'token', drop_path_rate=0.0)
    ours = MODELS.build(cfg).eval()
    for p in ours.parameters():
        p.data.normal_(0, 0.2)
    state, kwargs = export_timm_vit(ours.state_dict())
    assert kwargs['global_pool'] == pool and kwargs['num_classes'] == 10
    kwargs['num_heads'] = 2
    path = tmp_path / 'vit_timm.pth'
    torch.save(state, path)
    ref = timm.create_model('vit_tiny_patch16_224', pretrained=True,
                            pretrained_cfg_overlay=dict(file=str(path), num_classes=10), **kwargs).eval()  # fmt: skip
    x = torch.randn(2, 1, 16, 16)
    with torch.no_grad():
        ours_logits = ours(ours.data_preprocessor(dict(inputs=x * 127.5 + 127.5), False)['inputs'], mode='tensor')
        torch.testing.assert_close(ours_logits, ref(x), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize('dst', [(9, 9), (4, 4), (6, 8)])
def test_resize_pos_embed_matches_timm(dst):
    """Against timm's ``resample_abs_pos_embed`` with MAE's settings (bicubic, no antialiasing); the class-token row
    is kept as it is."""
    from timm.layers import resample_abs_pos_embed

    table = torch.randn(1, 1 + 36, 8)
    out = resize_pos_embed(table, (6, 6), dst)
    ref = resample_abs_pos_embed(
        table, list(dst), [6, 6], num_prefix_tokens=1, interpolation='bicubic', antialias=False
    )
    assert out.shape == (1, 1 + dst[0] * dst[1], 8) and torch.equal(out[:, 0], table[:, 0])
    torch.testing.assert_close(out, ref)
    assert resize_pos_embed(table, (6, 6), (6, 6)) is table


def test_classifier_loads_pretraining_with_report(tmp_path):
    """An LMD checkpoint into a classifier at another resolution: encoder keys loaded, the final norm unexpected
    (global pooling), the position table interpolated to the new grid."""
    lmd = MODELS.build(tiny_lmd_model())
    torch.save(dict(state_dict=lmd.state_dict(), meta=dict()), tmp_path / 'pre.pth')
    cfg = tiny_classifier_model()
    cfg['backbone'] = dict(cfg['backbone'], img_size=24,
                           init_cfg=dict(type='PretrainedEncoder', checkpoint=str(tmp_path / 'pre.pth')))  # fmt: skip
    clf = MODELS.build(cfg)
    before = clf.backbone.blocks[0].attn.qkv.weight.clone()
    clf.init_weights()
    report = clf.backbone.pretrained_report
    assert report['unexpected'] == ['norm.bias', 'norm.weight'] and report['missing'] == []
    assert report['interpolated'] == ['pos_embed 4x4 -> 6x6']
    assert not torch.equal(before, clf.backbone.blocks[0].attn.qkv.weight)
    torch.testing.assert_close(clf.backbone.blocks[1].mlp.fc2.weight, lmd.backbone.blocks[1].mlp.fc2.weight)
    with pytest.raises(KeyError, match="no keys under 'encoder.'"):
        load_encoder_weights(clf.backbone, str(tmp_path / 'pre.pth'), prefix='encoder.')
