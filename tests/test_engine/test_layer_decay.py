"""Layer-wise lr decay: MAE's layer ids and scales, weight-decay exemptions, and ratios kept by the lr schedule."""

import pytest
import torch
from mmengine.optim import build_optim_wrapper

from lmdkit.engine.optimizers import layer_decay_param_groups
from lmdkit.registry import MODELS

from ..conftest import tiny_classifier_model


@pytest.fixture
def classifier():
    return MODELS.build(tiny_classifier_model())  # encoder depth 2 -> layer ids 0..3


def group_of(groups, name):
    (group,) = [g for g in groups if name in g['param_names']]
    return group


def test_layer_ids_and_scales_follow_mae(classifier):
    # MAE's lr_decay: num_layers = depth + 1 = 3; scale = decay ** (num_layers - layer_id). With decay 0.5:
    # embeddings (id 0) 0.125, block 0 (id 1) 0.25, block 1 (id 2) 0.5, fc_norm/head (id 3) 1.
    groups = layer_decay_param_groups(classifier, base_lr=1e-3, weight_decay=0.05, layer_decay=0.5)
    expected = {
        'backbone.cls_token': (0, 0.125, 0.0),
        'backbone.pos_embed': (0, 0.125, 0.0),  # fine-tuned from the sin-cos table, as in MAE
        'backbone.patch_embed.proj.weight': (0, 0.125, 0.05),
        'backbone.patch_embed.proj.bias': (0, 0.125, 0.0),
        'backbone.blocks.0.attn.qkv.weight': (1, 0.25, 0.05),
        'backbone.blocks.0.norm1.weight': (1, 0.25, 0.0),
        'backbone.blocks.1.mlp.fc2.weight': (2, 0.5, 0.05),
        'backbone.blocks.1.mlp.fc2.bias': (2, 0.5, 0.0),
        'fc_norm.weight': (3, 1.0, 0.0),
        'head.fc.weight': (3, 1.0, 0.05),
        'head.fc.bias': (3, 1.0, 0.0),
    }
    names = {n for g in groups for n in g['param_names']}
    for name, want in expected.items():
        if want is None:
            assert name not in names
            continue
        g = group_of(groups, name)
        assert (g['layer_id'], g['weight_decay']) == (want[0], want[2]), name
        assert g['lr_scale'] == pytest.approx(want[1]) and g['lr'] == pytest.approx(1e-3 * want[1]), name
    trainable = {n for n, p in classifier.named_parameters() if p.requires_grad}
    assert names == trainable  # every trainable parameter exactly once


def test_frozen_backbone_leaves_only_the_head(classifier):
    clf = MODELS.build(tiny_classifier_model(freeze_backbone=True))
    groups = layer_decay_param_groups(clf, 1e-3, 0.0, 0.75)
    assert {n.split('.')[0] for g in groups for n in g['param_names']} == {'head'}


def test_constructor_through_config_and_schedule_keeps_ratios(classifier):
    wrapper = build_optim_wrapper(
        classifier,
        dict(
            constructor='LayerDecayOptimWrapperConstructor',
            optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
            paramwise_cfg=dict(layer_decay_rate=0.5),
        ),  # fmt: skip
    )
    from mmengine.optim import LinearLR

    sched = LinearLR(wrapper, start_factor=0.1, by_epoch=False, begin=0, end=10)
    for _ in range(3):
        sched.step()
    for g in wrapper.optimizer.param_groups:
        assert g['lr'] / g['initial_lr'] == pytest.approx(wrapper.optimizer.param_groups[-1]['lr'] /
                                                          wrapper.optimizer.param_groups[-1]['initial_lr'])  # fmt: skip
        assert g['initial_lr'] == pytest.approx(1e-3 * g['lr_scale'])
    with pytest.raises(ValueError, match='unknown paramwise_cfg'):
        bad = dict(decay=0.5)
        build_optim_wrapper(
            classifier,
            dict(
                constructor='LayerDecayOptimWrapperConstructor',
                optimizer=dict(type='AdamW', lr=1e-3),
                paramwise_cfg=bad,
            ),
        )


def test_needs_a_layered_backbone():
    with pytest.raises(ValueError, match='get_layer_id'):
        layer_decay_param_groups(torch.nn.Linear(2, 2), 1e-3, 0.0, 0.5)


def test_lars_scales_matrices_only():
    """Two steps of MAE-style LARS against a hand computation: the weight matrix gets decay and the trust ratio
    η‖w‖/‖g + λw‖, the bias a plain momentum step."""
    from lmdkit.registry import OPTIMIZERS

    w = torch.nn.Parameter(torch.tensor([[3.0, 4.0]]))  # ‖w‖ = 5
    b = torch.nn.Parameter(torch.tensor([1.0]))
    opt = OPTIMIZERS.build(dict(type='Lars', params=[w, b], lr=2.0, weight_decay=0.5, momentum=0.9,
                                trust_coefficient=0.01))  # fmt: skip
    w.grad, b.grad = torch.tensor([[1.0, -2.0]]), torch.tensor([0.5])
    opt.step()
    u = torch.tensor([[1.0, -2.0]]) + 0.5 * torch.tensor([[3.0, 4.0]])  # g + λw = (2.5, 0)
    mu_w = 0.01 * 5.0 / 2.5 * u  # trust ratio 0.02
    torch.testing.assert_close(w.data, torch.tensor([[3.0, 4.0]]) - 2.0 * mu_w)
    torch.testing.assert_close(b.data, torch.tensor([1.0 - 2.0 * 0.5]))
    w_before = w.data.clone()
    b.grad = torch.tensor([0.5])
    w.grad = None  # no gradient: untouched
    opt.step()
    torch.testing.assert_close(w.data, w_before)
    torch.testing.assert_close(b.data, torch.tensor([0.0 - 2.0 * (0.9 * 0.5 + 0.5)]))
