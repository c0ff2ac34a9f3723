"""LPIPS equals the reference `lpips` package for the same weights (random VGG, the package's own linear layers)."""

import os

import pytest
import torch

from lmdkit.evaluation.metrics import ImageQualityMetric
from lmdkit.registry import MODELS

from ..conftest import require


@pytest.fixture(params=['vgg', 'alex'])
def weight_files(tmp_path, request):
    lpips = require('lpips')
    torch.manual_seed(0)
    net = request.param
    ref = lpips.LPIPS(net=net, pretrained=True, pnet_rand=True, verbose=False).eval()  # random backbone, no download
    vgg = {}
    for s in range(1, 6):
        for name, value in getattr(ref.net, f'slice{s}').state_dict().items():
            vgg[f'features.{name}'] = value  # slice modules keep torchvision's feature indices
    vgg['classifier.0.weight'] = torch.zeros(1)  # full torchvision files carry the classifier too
    torch.save(vgg, tmp_path / f'{net}.pth')
    lin_file = os.path.join(os.path.dirname(lpips.__file__), 'weights', 'v0.1', f'{net}.pth')
    return ref, str(tmp_path / f'{net}.pth'), lin_file, net


def test_lpips_matches_reference(weight_files):
    ref, backbone_file, lin_file, net = weight_files
    ours = MODELS.build(dict(type='LPIPS', net=net, backbone_checkpoint=backbone_file, lin_checkpoint=lin_file))
    x, y = torch.rand(2, 3, 32, 32) * 2 - 1, torch.rand(2, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(ours(x, y), ref(x, y).flatten(), atol=1e-5, rtol=1e-4)
        assert torch.allclose(ours(x, x), torch.zeros(2), atol=1e-6)
    gray = torch.rand(2, 1, 32, 32) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(ours(gray, y), ref(gray.repeat(1, 3, 1, 1), y).flatten(), atol=1e-5, rtol=1e-4)
    assert not any(p.requires_grad for p in ours.parameters())


def test_lpips_metric_and_missing_weights(weight_files):
    _, backbone_file, lin_file, net = weight_files
    lpips = dict(net=net, backbone_checkpoint=backbone_file, lin_checkpoint=lin_file)
    metric = ImageQualityMetric(metrics=('psnr', 'lpips'), lpips=lpips)
    gt = torch.rand(2, 3, 32, 32) * 255
    metric.process(None, [dict(pred=gt[i], gt=gt[i]) for i in range(2)])
    assert metric.compute_metrics(metric.results)['lpips'] == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match='local weights'):
        MODELS.build(dict(type='LPIPS'))
    with pytest.raises(ValueError, match='lpips=dict'):
        ImageQualityMetric(metrics=('lpips',))
