"""MDT / MDTv2: relative-position bias, the masked pass (encoder on kept tokens, side-interpolator), official layout
and parameter counts, and MDT's two-pass objective inside MaskedDiffusion."""

import json
import os.path as osp

import pytest
import torch

from lmdkit.models.backbones import MDT
from lmdkit.models.layers.attention import RelPosAttention
from lmdkit.models.layers.rel_pos_bias import RelativePositionBias, relative_position_index
from lmdkit.registry import MODELS

from ..conftest import tiny_diffusion_model, tiny_mdt_denoiser

with open(osp.join(osp.dirname(__file__), '..', 'fixtures', 'mdt_official_keys.json')) as f:
    OFFICIAL = json.load(f)


def randomised(model):
    """Zero-initialised adaLN and output layers would hide most of the computation: perturb every parameter."""
    torch.manual_seed(1)
    for p in model.parameters():
        p.data.add_(torch.randn_like(p) * 0.05)
    return model


@pytest.mark.parametrize('grid', [(3, 3), (2, 5)])
def test_relative_position_index_against_direct_offsets(grid):
    h, w = grid
    index = relative_position_index(grid)
    pos = [(i // w, i % w) for i in range(h * w)]
    offsets = {}
    for i, (hi, wi) in enumerate(pos):
        for j, (hj, wj) in enumerate(pos):
            offsets.setdefault((hi - hj, wi - wj), set()).add(int(index[i, j]))
    # one index per offset, distinct offsets -> distinct indices, and every table row (but BEiT's 3 extra) is used
    assert all(len(v) == 1 for v in offsets.values())
    used = sorted(next(iter(v)) for v in offsets.values())
    assert used == list(range((2 * h - 1) * (2 * w - 1)))
    assert int(index[0, 0]) == (h - 1) * (2 * w - 1) + (w - 1)  # zero offset sits at the centre of the table


def test_bias_of_kept_tokens_is_the_full_bias_gathered():
    bias = RelativePositionBias((4, 4), num_heads=3)
    ids = torch.stack([torch.randperm(16)[:6] for _ in range(2)])
    full = bias()[0]  # (heads, 16, 16)
    kept = bias(ids)  # (2, heads, 6, 6)
    for b in range(2):
        assert torch.equal(kept[b], full[:, ids[b]][:, :, ids[b]])


def test_attention_equals_softmax_with_additive_bias():
    torch.manual_seed(0)
    attn = RelPosAttention(16, 2, (3, 3))
    x = torch.randn(2, 9, 16)
    q, k, v = attn.qkv(x).reshape(2, 9, 3, 2, 8).permute(2, 0, 3, 1, 4)
    weights = (q @ k.transpose(-2, -1) / 8**0.5 + attn.rel_pos_bias()).softmax(-1)
    expected = attn.proj((weights @ v).transpose(1, 2).reshape(2, 9, 16))
    torch.testing.assert_close(attn(x), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('name,version,decode', [('MDT-XL/2', 1, 2), ('MDTv2-XL/2', 2, 4)])
def test_state_dict_matches_the_official_key_list(name, version, decode):
    """Names and shapes against sail-sg/MDT's models.py (v1 from its first commit, v2 from its head)."""
    with torch.device('meta'):
        ours = MDT(arch='XL', version=version, decode_layers=decode, input_size=32, patch_size=2, num_classes=1000)
    assert {k: list(v.shape) for k, v in ours.state_dict().items()} == OFFICIAL['models'][name]


@pytest.mark.parametrize('arch,paper_m', [('S', 33.1), ('B', 130.8), ('XL', 675.8)])
def test_v1_parameter_counts(arch, paper_m):
    """MDTv2 paper, Table 1 counts MDT-S/B/XL-2 without the training-only side-interpolator; the official model
    with it has exactly the total the fixture records."""
    with torch.device('meta'):
        ours = MDT(arch=arch, version=1, decode_layers=2, input_size=32, patch_size=2, num_classes=1000)
    assert abs(ours.num_params() / 1e6 - paper_m) / paper_m < 0.02
    assert ours.num_params(inference=False) == OFFICIAL['num_params'][f'MDT-{arch}/2']


def test_v2_parameter_counts_follow_the_official_decoder_depths():
    for arch, decode in (('S', 6), ('XL', 4)):
        with torch.device('meta'):
            ours = MDT(arch=arch, version=2, decode_layers=decode, input_size=32, patch_size=2, num_classes=1000)
        assert ours.num_params(inference=False) == OFFICIAL['num_params'][f'MDTv2-{arch}/2']


def test_loads_a_release_state_dict_strictly(tmp_path):
    """Released MDT weights are a bare state dict (``mdt_xl2_v2_ckpt.pt``): a strict load reproduces the outputs."""
    from lmdkit.models.initializers import load_encoder_weights

    ref = randomised(MODELS.build(tiny_mdt_denoiser())).eval()
    torch.save(ref.state_dict(), tmp_path / 'mdt_ckpt.pt')
    ours = MODELS.build(tiny_mdt_denoiser()).eval()
    report = load_encoder_weights(ours, str(tmp_path / 'mdt_ckpt.pt'), prefix='', strict=True)
    assert report['missing'] == [] and report['unexpected'] == []
    x, t, y = torch.randn(2, 1, 8, 8), torch.tensor([3, 70]), torch.tensor([1, 4])
    assert torch.equal(ours(x, t, y), ref(x, t, y))


@pytest.mark.parametrize('version', [1, 2])
def test_encoder_sees_only_kept_tokens(version):
    model = randomised(MODELS.build(tiny_mdt_denoiser(version))).eval()
    first = model.blocks[0] if version == 1 else model.en_inblocks[0]
    seen = {}
    first.register_forward_hook(lambda m, args, out: seen.update(x=args[0]))
    x, t, y = torch.randn(2, 1, 8, 8), torch.tensor([3, 70]), torch.tensor([1, 4])
    noise = torch.rand(2, 16)
    model(x, t, y, mask_ratio=0.5, noise=noise)
    keep = torch.argsort(noise, dim=1)[:, :8]  # MAE: the smallest noise is kept
    tokens = model.x_embedder(x) + model.pos_embed
    assert seen['x'].shape == (2, 8, 32)
    assert torch.equal(seen['x'], torch.gather(tokens, 1, keep.unsqueeze(-1).expand(-1, -1, 32)))
    model(x, t, y)
    assert seen['x'].shape == (2, 16, 32)  # the full pass (sampling) sees every token


@pytest.mark.parametrize('version', [1, 2])
def test_side_interpolator_changes_only_masked_positions(version):
    model = randomised(MODELS.build(tiny_mdt_denoiser(version))).eval()
    kept = torch.randn(2, 10, 32)
    c = model.condition(torch.tensor([3, 70]), torch.tensor([1, 4]))
    ids_restore = torch.stack([torch.randperm(16) for _ in range(2)])
    mask = (ids_restore >= 10).float()  # positions whose shuffled rank is past the kept ones
    out = model.side_interpolate(kept, c, mask, ids_restore)
    scattered = torch.gather(
        torch.cat([kept, torch.zeros(2, 6, 32)], 1), 1, ids_restore.unsqueeze(-1).expand(-1, -1, 32)
    )
    expected_kept = scattered + model.decoder_pos_embed
    m = mask.bool()
    assert torch.equal(out[~m], expected_kept[~m])
    assert not torch.allclose(out[m], (model.mask_token + model.decoder_pos_embed).expand(2, -1, -1)[m])


def test_v1_masked_pass_ignores_dropped_inputs_v2_does_not():
    """v1's decoder sees dropped positions only through mask tokens; v2's dense input shortcut carries the full
    noisy input into every decoder block (the official behaviour)."""
    x, t, y = torch.randn(1, 1, 8, 8), torch.tensor([40]), torch.tensor([2])
    noise = torch.arange(16.0)[None]  # keep tokens 0..7 (the top half), drop 8..15
    x2 = x.clone()
    x2[..., 6:, :] += 3.0  # only the bottom rows, i.e. dropped tokens
    for version, changes in ((1, False), (2, True)):
        model = randomised(MODELS.build(tiny_mdt_denoiser(version))).eval()
        a, b = model(x, t, y, mask_ratio=0.5, noise=noise), model(x2, t, y, mask_ratio=0.5, noise=noise)
        assert torch.allclose(a, b) != changes


def test_masked_diffusion_runs_both_passes_and_overfits():
    torch.manual_seed(0)
    cfg = tiny_diffusion_model(denoiser=tiny_mdt_denoiser(class_dropout_prob=0.0),
                               mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.5))  # fmt: skip
    model = MODELS.build(cfg)
    images = torch.randint(0, 256, (8, 1, 8, 8), dtype=torch.uint8)
    data = model.data_preprocessor(dict(inputs=images, data_samples=dict(gt_label=torch.arange(8))), True)
    calls = []
    model.denoiser.register_forward_hook(lambda m, args, kwargs, out: calls.append(kwargs.get('mask_ratio')),
                                         with_kwargs=True)  # fmt: skip
    losses = model(**data, mode='loss')
    assert set(losses) >= {'loss_full', 'loss_masked'} and calls == [None, 0.5]
    opt = torch.optim.AdamW(model.denoiser.parameters(), lr=3e-3)
    first = None
    for _ in range(120):
        torch.manual_seed(0)  # the same timesteps and noise every step: a fixed regression problem
        losses = model(**data, mode='loss')
        loss = losses['loss_full'] + losses['loss_masked']
        first = first if first is not None else float(loss)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss) < 0.1 * first


def test_masking_needs_a_masked_denoiser_and_a_scheduler_for_progress():
    with pytest.raises(ValueError, match='masked pass'):
        MODELS.build(tiny_diffusion_model(mask_scheduler=dict(type='FixedMaskScheduler')))
    with pytest.raises(RuntimeError, match='no mask_scheduler'):
        MODELS.build(tiny_diffusion_model()).set_progress(0.5, 1)
    with pytest.raises(ValueError, match='decode_layers'):
        MODELS.build(tiny_mdt_denoiser(decode_layers=4))
