"""ImageClassifier: targets of the batch augmentations, the loss, fitting a batch, linear probing, predictions."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lmdkit.registry import MODELS, TRANSFORMS

from ..conftest import tiny_classifier_model

PLAIN = dict(type='ClsDataPreprocessor', mean=[127.5], std=[127.5], num_classes=10)  # no batch augmentation


def batch(n=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, 1, 16, 16), generator=g, dtype=torch.uint8)
    return dict(inputs=images, data_samples=dict(gt_label=torch.arange(n) % 10))


def test_mixup_targets_are_distributions_with_label_smoothing():
    model = MODELS.build(tiny_classifier_model())
    data = model.data_preprocessor(batch(), True)
    soft = data['data_samples']['gt_score']
    assert soft.shape == (8, 10)
    torch.testing.assert_close(soft.sum(1), torch.ones(8))
    assert (soft >= 0.1 / 10 - 1e-7).all()  # smoothing leaves eps/K on every class
    # without mixing, the target is the smoothed one-hot: 1 - eps + eps/K on the label, eps/K elsewhere
    plain = MODELS.build(tiny_classifier_model())
    plain.data_preprocessor.mixup.mixup_alpha = plain.data_preprocessor.mixup.cutmix_alpha = 0.0
    plain.data_preprocessor.mixup.mixup_enabled = False
    plain.data_preprocessor.erasing = None
    target = plain.data_preprocessor(batch(), True)['data_samples']['gt_score']
    expected = torch.full((8, 10), 0.01)
    expected[torch.arange(8), torch.arange(8) % 10] = 0.91
    torch.testing.assert_close(target, expected)
    evaluation = model.data_preprocessor(batch(), False)
    assert 'gt_score' not in evaluation['data_samples']


def test_cross_entropy_hard_soft_and_smoothing():
    loss = MODELS.build(dict(type='CrossEntropyLoss'))
    logits = torch.randn(5, 4)
    labels = torch.tensor([0, 3, 1, 1, 2])
    one_hot = F.one_hot(labels, 4).float()
    torch.testing.assert_close(loss(logits, labels), loss(logits, one_hot))
    smoothed = MODELS.build(dict(type='CrossEntropyLoss', label_smoothing=0.2))
    target = one_hot * 0.8 + 0.2 / 4
    manual = -(target * logits.log_softmax(-1)).sum(-1).mean()
    torch.testing.assert_close(smoothed(logits, labels), manual)


def test_fits_a_fixed_batch():
    torch.manual_seed(0)
    model = MODELS.build(tiny_classifier_model(data_preprocessor=PLAIN))
    data = model.data_preprocessor(batch(16), True)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    first = None
    for _ in range(60):
        loss = model(**data, mode='loss')['loss']
        first = first if first is not None else float(loss)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss) < 0.2 * first
    model.eval()
    preds = model(**model.data_preprocessor(batch(16), False), mode='predict')
    assert [p['pred_label'] for p in preds] == [p['gt_label'] for p in preds]
    torch.testing.assert_close(torch.stack([p['pred_score'] for p in preds]).sum(1), torch.ones(16))


def test_linear_probe_freezes_the_encoder():
    head = dict(type='LinearClsHead', num_classes=10, batch_norm=True)
    model = MODELS.build(tiny_classifier_model(freeze_backbone=True, global_pool='token', head=head))
    model.train()
    assert not model.backbone.training and model.head.training
    before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    data = model.data_preprocessor(batch(), True)
    model(**data, mode='loss')['loss'].backward()
    assert all(p.grad is None for p in model.backbone.parameters())
    assert model.head.fc.weight.grad is not None and model.head.bn.running_mean.abs().sum() > 0
    assert all(torch.equal(before[k], v) for k, v in model.backbone.state_dict().items())


def test_unlabelled_batches_are_refused():
    model = MODELS.build(tiny_classifier_model(data_preprocessor=PLAIN))
    data = batch()
    data['data_samples']['gt_label'][:] = -1
    data = model.data_preprocessor(data, True)
    with pytest.raises(ValueError, match='unlabelled'):
        model(**data, mode='loss')
    with pytest.raises(ValueError, match='needs labelled data'):
        model(data['inputs'], None, mode='loss')


def test_mixup_refuses_unlabelled_batches_without_a_device_sync():
    from lmdkit.utils.host_syncs import HostSyncCounter

    model = MODELS.build(tiny_classifier_model())
    data = batch()
    with HostSyncCounter() as counter:  # the label check reads the loader's host tensors, not device ones
        model.data_preprocessor(data, True)
    assert counter.count == 0, counter.sites()
    data['data_samples']['gt_label'][:] = -1
    with pytest.raises(ValueError, match='unlabelled'):
        model.data_preprocessor(data, True)


@pytest.mark.parametrize('shape', [(32, 32, 1), (32, 32, 3)])
def test_rand_augment_keeps_shape_and_dtype(shape):
    import random

    t = TRANSFORMS.build(dict(type='RandAugment', policy='rand-m9-mstd0.5-inc1'))
    img = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    changed = 0
    for seed in range(10):
        random.seed(seed)  # timm draws ops with numpy and magnitudes with random
        np.random.seed(seed)
        out = t(dict(img=img.copy()))['img']
        assert out.shape == shape and out.dtype == np.uint8
        changed += int(not np.array_equal(out, img))
    assert changed >= 5


def test_convnet_classifier_fits_a_batch():
    """A CNN backbone that pools itself (global_pool='none'): the FID-FMNIST feature network's model."""
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='ImageClassifier', data_preprocessor=dict(type='ClsDataPreprocessor', mean=[127.5], std=[127.5],
                                                       num_classes=4),
        projector=dict(type='IdentityProjector', in_channels=1), global_pool='none',
        backbone=dict(type='ConvNet', in_channels=1, widths=(8, 16), input_size=16),
        head=dict(type='LinearClsHead', num_classes=4),
    ))  # fmt: skip
    images = torch.randint(0, 256, (8, 1, 16, 16), dtype=torch.uint8)
    data = model.data_preprocessor(dict(inputs=images, data_samples=dict(gt_label=torch.arange(8) % 4)), True)
    assert model.extract_feat(data['inputs']).shape == (8, 16)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(40):
        loss = model(**data, mode='loss')['loss']
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.1 * losses[0]
    model.eval()
    assert [p['pred_label'] for p in model(**data, mode='predict')] == (torch.arange(8) % 4).tolist()


@pytest.mark.parametrize('swin', ['SimMIMSwin', 'GreenMIMSwin'])
def test_swin_encoders_classify_by_their_mean_last_stage_token(swin):
    """Encoders without a class token (SimMIM's and GreenMIM's Swin): avg pooling over all their tokens, at the
    width of their last stage; 'token' pooling is refused."""
    backbone = dict(type=swin, img_size=16, patch_size=2, in_channels=1, embed_dim=16, depths=(2, 2),
                    num_heads=(1, 2), window_size=4)  # fmt: skip
    cfg = dict(type='ImageClassifier', projector=dict(type='IdentityProjector', in_channels=1), backbone=backbone,
               head=dict(type='LinearClsHead', num_classes=3))  # fmt: skip
    model = MODELS.build(cfg).eval()
    x = torch.randn(2, 1, 16, 16)
    tokens = model.backbone.swin.forward_features(x).flatten(1, 2)  # (2, 4, 32): timm's last stage
    torch.testing.assert_close(model.extract_feat(x), model.fc_norm(tokens.mean(1)), rtol=1e-4, atol=1e-5)
    assert model(x, mode='tensor').shape == (2, 3)
    with pytest.raises(ValueError, match='has none'):
        MODELS.build(dict(cfg, global_pool='token'))


def test_a_pretrained_swin_encoder_loads_and_survives_init_weights(tmp_path):
    """A GreenMIM pretraining checkpoint starts a classifier: the runner's init_weights loads it and does not let
    timm's own init re-draw the weights afterwards."""
    backbone = dict(type='GreenMIMSwin', img_size=16, patch_size=2, in_channels=1, embed_dim=16, depths=(2, 2),
                    num_heads=(1, 2), window_size=4)  # fmt: skip
    pretrained = MODELS.build(backbone)
    for p in pretrained.parameters():
        p.data.normal_(0, 0.1)
    torch.save(dict(state_dict={'backbone.' + k: v for k, v in pretrained.state_dict().items()}), tmp_path / 'pre.pth')
    init = dict(type='PretrainedEncoder', checkpoint=str(tmp_path / 'pre.pth'), prefix='backbone.')
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            projector=dict(type='IdentityProjector', in_channels=1),
            backbone=dict(backbone, init_cfg=init),
            head=dict(type='LinearClsHead', num_classes=3),
        )
    )
    model.init_weights()
    ours = model.backbone.state_dict()
    assert all(torch.equal(ours[k], v) for k, v in pretrained.state_dict().items())
    assert model.backbone.pretrained_report['missing'] == []
