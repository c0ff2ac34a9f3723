"""MDT / MDTv2: relative-position bias, the masked pass (encoder on kept tokens, side-interpolator), official layout
and parameter counts, and MDT's two-pass objective inside MaskedDiffusion."""

import json
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

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


@pytest.mark.parametrize('kept', [False, True])
def test_bias_table_gradient_sums_the_gradient_of_every_pair_with_that_offset(kept):
    """The table's gradient, row r: the sum of the bias gradient over all token pairs whose offset is r (one-hot
    contraction in float64, independent of the gather's backward)."""
    torch.manual_seed(0)
    bias = RelativePositionBias((4, 4), num_heads=3).double()
    ids = torch.stack([torch.randperm(16)[:6] for _ in range(2)]) if kept else None
    out = bias(ids)
    grad = torch.randn_like(out)
    out.backward(grad)
    index = bias.relative_position_index
    index = index[ids.unsqueeze(-1), ids.unsqueeze(-2)] if kept else index.unsqueeze(0)  # (B or 1, n, n)
    one_hot = F.one_hot(index, bias.relative_position_bias_table.shape[0]).double()  # (B, n, n, R)
    expected = torch.einsum('bhij,bijr->rh', grad, one_hot)
    torch.testing.assert_close(bias.relative_position_bias_table.grad, expected, rtol=1e-12, atol=1e-12)


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
    scattered = torch.gather(
        torch.cat([kept, torch.zeros(2, 6, 32)], 1), 1, ids_restore.unsqueeze(-1).expand(-1, -1, 32)
    )
    m = mask.bool()
    full = torch.where(m.unsqueeze(-1), model.mask_token.expand(2, 16, 32), scattered)  # what the masked pass builds
    out = model.side_interpolate(full, c, mask)
    expected_kept = scattered + model.decoder_pos_embed
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
    routes = []
    model.denoiser.register_forward_hook(lambda m, args, kwargs, out: routes.append(kwargs.get('route')),
                                         with_kwargs=True)  # fmt: skip
    losses = model(**data, mode='loss')
    assert set(losses) >= {'loss_full', 'loss_masked'} and len(routes) == 2 and routes[0] is None
    # the masked pass: the token plan's route (MDT's default, DeferredMasking(start=0)) keeps 8 of 16 tokens
    assert routes[1].ids_keep.shape == (8, 8) and routes[1].start == 0 and not routes[1].rejoins
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


def test_masked_pass_through_the_token_plan_draws_as_mdt_itself():
    """The plan's route is drawn where MDT drew its own mask (after the masked pass's noise), so the objective's
    draws and value are those of the denoiser masking itself (the official trainer's)."""
    cfg = tiny_diffusion_model(denoiser=tiny_mdt_denoiser(class_dropout_prob=0.0),
                               mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.5))  # fmt: skip
    model = MODELS.build(cfg)
    randomised(model.denoiser)
    images, y = torch.randn(4, 1, 8, 8), torch.tensor([0, 1, 2, 3])
    torch.manual_seed(7)
    out = model.loss(images, dict(gt_label=y))
    torch.manual_seed(7)
    t = torch.randint(0, 100, (4,))
    model.diffusion.training_losses(lambda x, ts: model.denoiser(x, ts, y), images, t)  # the full pass's draws
    masked = model.diffusion.training_losses(lambda x, ts: model.denoiser(x, ts, y, mask_ratio=0.5), images, t)
    torch.testing.assert_close(out['loss_masked'], masked['loss'].mean())
    with pytest.raises(ValueError, match="does not fit MDT's masked pass"):
        MODELS.build(dict(cfg, token_plan=dict(type='TokenRouting', start=1, stop=2)))
    with pytest.raises(ValueError, match='not both'):
        route = model.token_plan.route(4, 16, 0.5, torch.device('cpu'))
        model.denoiser(images, t, y, mask_ratio=0.5, route=route)


def test_masking_needs_a_masked_denoiser_and_a_scheduler_for_progress():
    with pytest.raises(ValueError, match='masked pass'):
        MODELS.build(tiny_diffusion_model(mask_scheduler=dict(type='FixedMaskScheduler')))
    with pytest.raises(RuntimeError, match='no mask_scheduler'):
        MODELS.build(tiny_diffusion_model()).set_progress(0.5, 1)
    with pytest.raises(ValueError, match='decode_layers'):
        MODELS.build(tiny_mdt_denoiser(decode_layers=4))


# ---------------------------------------------------------------- ablation switches (MDT/MDTv2 Tables 4, 8, 9)


def switched(version=2, **switches):
    """The default tiny MDT (randomised) and the same weights in a model with ``switches``: keys the switch removes
    are dropped, keys it adds are randomised too."""
    ref = randomised(MODELS.build(tiny_mdt_denoiser(version))).eval()
    model = randomised(MODELS.build(tiny_mdt_denoiser(version, **switches))).eval()
    own = model.state_dict()
    model.load_state_dict({k: v for k, v in ref.state_dict().items() if k in own}, strict=False)
    return ref, model


def keys_diff(ref, model):
    a, b = set(ref.state_dict()), set(model.state_dict())
    return sorted(a - b), sorted(b - a)


def inputs(b=2):
    torch.manual_seed(3)
    return torch.randn(b, 1, 8, 8), torch.tensor([3, 70][:b]), torch.tensor([1, 4][:b]), torch.rand(b, 16)


@pytest.mark.parametrize(
    'switches,removed,added',
    [
        (dict(side_blocks=0), 'sideblocks.', None),
        (dict(side_blocks=2), None, 'sideblocks.1.'),
        (dict(side_pos_embed=False), 'decoder_pos_embed', None),
        (dict(rel_pos_bias=False), 'rel_pos_bias', None),
        (dict(long_shortcut=False), 'en_outblocks.0.skip_linear', None),
        (dict(dense_shortcut=False), 'de_blocks.0.skip_linear', None),
        (dict(decode_layers=0), 'de_blocks.', 'en_'),  # the 4 blocks all encode
        (dict(masked_shortcut=False), None, None),
        (dict(asymmetric=False), None, None),
        (dict(learn_pos_embed=False), None, None),
    ],
)
def test_each_switch_changes_only_its_own_parameters(switches, removed, added):
    ref, model = switched(**switches)
    gone, new = keys_diff(ref, model)
    assert all(removed in k for k in gone) and (bool(gone) == (removed is not None))
    assert all(added in k for k in new) and (bool(new) == (added is not None))


@pytest.mark.parametrize('switches', [dict(side_blocks=0), dict(side_blocks=2), dict(masked_shortcut=False),
                                      dict(asymmetric=False)])  # fmt: skip
def test_masked_pass_switches_leave_sampling_alone(switches):
    """Switches of the masked pass change it, and leave the full pass (all sampling uses) bit-identical."""
    ref, model = switched(**switches)
    x, t, y, noise = inputs()
    with torch.no_grad():
        assert torch.equal(model(x, t, y), ref(x, t, y))
        assert not torch.allclose(
            model(x, t, y, mask_ratio=0.5, noise=noise), ref(x, t, y, mask_ratio=0.5, noise=noise)
        )


def test_side_blocks_run_in_sequence_and_zero_blocks_leave_mask_tokens_and_positions():
    _, none = switched(side_blocks=0)
    x = torch.randn(2, 16, 32)
    c = torch.randn(2, 32)
    mask = (torch.rand(2, 16) > 0.5).float()
    torch.testing.assert_close(none.side_interpolate(x, c, mask), x + none.decoder_pos_embed)
    _, two = switched(side_blocks=2)
    x_pos = x + two.decoder_pos_embed
    side = two.sideblocks[1](two.sideblocks[0](x_pos, c), c)
    m = mask.unsqueeze(-1)
    torch.testing.assert_close(two.side_interpolate(x, c, mask), side * m + x_pos * (1 - m))


def test_without_masked_shortcut_every_token_takes_the_side_output():
    ref, model = switched(masked_shortcut=False)
    x, c, mask = torch.randn(2, 16, 32), torch.randn(2, 32), (torch.rand(2, 16) > 0.5).float()
    side = ref.sideblocks[0](x + ref.decoder_pos_embed, c)
    torch.testing.assert_close(model.side_interpolate(x, c, mask), side)
    m = mask.bool()
    torch.testing.assert_close(ref.side_interpolate(x, c, mask)[m], side[m])  # masked tokens agree with the default


@pytest.mark.parametrize('version', [1, 2])
def test_symmetric_encoder_sees_every_position_with_mask_tokens(version):
    _, model = switched(version, asymmetric=False)
    first = model.blocks[0] if version == 1 else model.en_inblocks[0]
    seen = {}
    first.register_forward_hook(lambda m, args, out: seen.update(x=args[0]))
    x, t, y, noise = inputs()
    model(x, t, y, mask_ratio=0.5, noise=noise)
    tokens = model.x_embedder(x) + model.pos_embed
    dropped = torch.argsort(torch.argsort(noise, 1), 1) >= 8  # MAE: the 8 largest noise values are dropped
    expected = torch.where(dropped.unsqueeze(-1), (model.mask_token + model.pos_embed).expand(2, -1, -1), tokens)
    torch.testing.assert_close(seen['x'], expected)


def test_without_side_pos_embed_equals_a_zero_decoder_position_embedding():
    ref, model = switched(side_pos_embed=False)
    with torch.no_grad():
        ref.decoder_pos_embed.zero_()
    x, t, y, noise = inputs()
    with torch.no_grad():
        torch.testing.assert_close(model(x, t, y), ref(x, t, y))
        torch.testing.assert_close(
            model(x, t, y, mask_ratio=0.5, noise=noise), ref(x, t, y, mask_ratio=0.5, noise=noise)
        )


def test_without_relative_bias_equals_a_zero_bias_table():
    ref, model = switched(rel_pos_bias=False)
    with torch.no_grad():
        for name, p in ref.named_parameters():
            if 'rel_pos_bias' in name:
                p.zero_()
    x, t, y, noise = inputs()
    with torch.no_grad():
        torch.testing.assert_close(model(x, t, y), ref(x, t, y))
        torch.testing.assert_close(
            model(x, t, y, mask_ratio=0.5, noise=noise), ref(x, t, y, mask_ratio=0.5, noise=noise)
        )


@pytest.mark.parametrize('switch,blocks', [('long_shortcut', 'en_outblocks'), ('dense_shortcut', 'de_blocks')])
def test_without_a_shortcut_equals_a_fusion_that_ignores_it(switch, blocks):
    """A skip_linear of weight [I, 0] and zero bias passes its block input through: what the switch leaves out."""
    ref, model = switched(**{switch: False})
    with torch.no_grad():
        for block in getattr(ref, blocks):
            eye = torch.eye(32)
            block.skip_linear.weight.copy_(torch.cat([eye, torch.zeros(32, 32)], dim=1))
            block.skip_linear.bias.zero_()
    x, t, y, noise = inputs()
    with torch.no_grad():
        torch.testing.assert_close(model(x, t, y), ref(x, t, y))
        torch.testing.assert_close(
            model(x, t, y, mask_ratio=0.5, noise=noise), ref(x, t, y, mask_ratio=0.5, noise=noise)
        )


@pytest.mark.parametrize('version', [1, 2])
def test_zero_decoder_blocks_put_the_side_interpolator_before_the_output(version):
    _, model = switched(version, decode_layers=0)
    x, t, y, noise = inputs()
    c = model.condition(t, y)
    tokens = model.x_embedder(x) + model.pos_embed
    expected = model.final_layer(model.encode(tokens, c) + model.decoder_pos_embed, c)
    from lmdkit.models.layers import unpatchify

    torch.testing.assert_close(model(x, t, y), unpatchify(expected, 2, (4, 4), model.out_channels))
    assert model.num_encoder_blocks == 4


def test_fixed_positions_do_not_train():
    for learn in (True, False):
        _, model = switched(learn_pos_embed=learn)
        model.train()
        before = (model.pos_embed.detach().clone(), model.decoder_pos_embed.detach().clone())
        opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1.0)
        x, t, y, noise = inputs()
        model(x, t, y, mask_ratio=0.5, noise=noise).square().mean().backward()
        opt.step()
        moved = [not torch.equal(b, a) for b, a in zip(before, (model.pos_embed, model.decoder_pos_embed))]
        assert moved == [learn, learn]


def test_v1_refuses_v2_switches_and_side_blocks_must_be_counted():
    with pytest.raises(ValueError, match='MDTv2 switches'):
        MODELS.build(tiny_mdt_denoiser(1, long_shortcut=False))
    with pytest.raises(ValueError, match='side_blocks'):
        MODELS.build(tiny_mdt_denoiser(side_blocks=-1))


def test_masked_only_loss_is_the_mean_error_over_dropped_latents():
    """MaskedDiffusion(masked_loss_on='masked'): the masked pass's loss, recomputed by hand from the same draws."""
    cfg = tiny_diffusion_model(denoiser=tiny_mdt_denoiser(learn_sigma=False, class_dropout_prob=0.0),
                               mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.5), masked_loss_on='masked',
                               diffusion=dict(num_steps=100, target='eps'))  # fmt: skip
    model = randomised(MODELS.build(cfg))
    images = torch.randint(0, 256, (2, 1, 8, 8), dtype=torch.uint8)
    data = model.data_preprocessor(dict(inputs=images, data_samples=dict(gt_label=torch.tensor([1, 4]))), True)
    torch.manual_seed(7)
    losses = model(**data, mode='loss')
    # the same draws, in the order loss() makes them
    torch.manual_seed(7)
    z, y = data['inputs'], torch.tensor([1, 4])
    t = torch.randint(0, 100, (2,))
    torch.randn_like(z)  # the full pass's noise
    tokens = torch.rand(2, 16)
    noise = torch.randn_like(z)
    xt = model.diffusion.q_sample(z, t, noise)
    pred = model.denoiser(xt, t, y, mask_ratio=0.5, noise=tokens)
    dropped = torch.argsort(torch.argsort(tokens, 1), 1) >= 8
    pixel = dropped.reshape(2, 1, 4, 4).repeat_interleave(2, 2).repeat_interleave(2, 3).expand_as(z)
    per_sample = torch.stack([((noise - pred)[i][pixel[i]] ** 2).mean() for i in range(2)])
    torch.testing.assert_close(losses['loss_masked'], per_sample.mean())
    with torch.no_grad():  # the default takes every position, its draws in the order they always were
        model.masked_loss_on = 'all'
        torch.manual_seed(7)
        everywhere = model(**data, mode='loss')['loss_masked']
        torch.manual_seed(7)
        t = torch.randint(0, 100, (2,))
        torch.randn_like(z)
        noise = torch.randn_like(z)
        tokens = torch.rand(2, 16)  # drawn by the denoiser, after the noise
        pred = model.denoiser(model.diffusion.q_sample(z, t, noise), t, y, mask_ratio=0.5, noise=tokens)
    torch.testing.assert_close(everywhere, ((noise - pred) ** 2).mean(), rtol=1e-5, atol=1e-6)
    from lmdkit.models.mask_schedulers import FixedMaskScheduler

    model.mask_scheduler = FixedMaskScheduler(ratio=0.0)
    model.set_progress(0.5, 1)  # nothing dropped: the pass is the full one, its loss taken everywhere (not 0)
    assert float(model(**data, mode='loss')['loss_masked']) > 0


def test_a_zero_full_loss_weight_trains_on_masked_inputs_only():
    cfg = tiny_diffusion_model(denoiser=tiny_mdt_denoiser(), full_loss_weight=0.0,
                               mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.5))  # fmt: skip
    model = MODELS.build(cfg)
    images = torch.randint(0, 256, (2, 1, 8, 8), dtype=torch.uint8)
    data = model.data_preprocessor(dict(inputs=images, data_samples=dict(gt_label=torch.tensor([1, 4]))), True)
    routes = []
    model.denoiser.register_forward_hook(lambda m, args, kwargs, out: routes.append(kwargs.get('route')),
                                         with_kwargs=True)  # fmt: skip
    losses = model(**data, mode='loss')
    assert len(routes) == 1 and routes[0].ids_keep.shape == (2, 8)  # the masked pass only
    assert 'loss_full' not in losses and {'loss_masked', 'vb'} <= set(losses)
    with pytest.raises(ValueError, match='set an MDT denoiser and a mask_scheduler'):
        MODELS.build(tiny_diffusion_model(masked_loss_on='masked'))
