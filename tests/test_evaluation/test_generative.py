"""Generative metrics: Fréchet distance, Inception Score, precision/recall, and the FID Inception-v3 port."""

import numpy as np
import pytest
import torch

from lmdkit.evaluation.generative import feature_statistics, frechet_distance, inception_score, precision_recall

from ..conftest import require, tiny_clip_dir


def scipy_fid(mu1, s1, mu2, s2):
    """pytorch-fid's formula through scipy's matrix square root (the independent computation)."""
    from scipy import linalg

    covmean = linalg.sqrtm(s1 @ s2)
    covmean = covmean.real if np.iscomplexobj(covmean) else covmean
    diff = mu1 - mu2
    return diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)


def test_frechet_distance_matches_scipy_and_is_zero_for_identical_sets():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 16))
    b = rng.normal(size=(400, 16)) @ rng.normal(size=(16, 16)) * 0.5 + 0.3
    (mu1, s1), (mu2, s2) = feature_statistics(a), feature_statistics(b)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(scipy_fid(mu1, s1, mu2, s2), rel=1e-8)
    assert frechet_distance(mu1, s1, mu1, s1) == pytest.approx(0.0, abs=1e-9)
    # a shift by a vector v with equal covariances costs exactly ‖v‖²
    assert frechet_distance(mu1, s1, mu1 + 2.0, s1) == pytest.approx(16 * 4.0, rel=1e-9)
    with pytest.raises(ValueError, match='mismatched'):
        frechet_distance(mu1, s1, mu2[:3], s2)


def test_inception_score_bounds():
    uniform = np.full((100, 10), 0.1)
    assert inception_score(uniform, splits=5)[0] == pytest.approx(1.0)
    confident = np.eye(10)[np.arange(100) % 10] * (1 - 1e-9) + 1e-10  # sure of each class, classes balanced
    mean, std = inception_score(confident, splits=5)
    assert mean == pytest.approx(10.0, rel=1e-5) and std == pytest.approx(0.0, abs=1e-4)


def test_precision_recall_on_constructed_clouds():
    torch.manual_seed(0)
    real = torch.randn(400, 2)
    # fakes: half inside the real cloud, half far away -> precision 1/2; they cover only part of the real cloud
    fake = torch.cat([real[:200] + 0.01, torch.randn(200, 2) + 50.0])
    pr = precision_recall(real, fake, k=3)
    assert pr['precision'] == pytest.approx(0.5)
    assert 0.3 < pr['recall'] < 1.0
    same = precision_recall(real, real.clone(), k=3)
    assert same == dict(precision=1.0, recall=1.0)
    collapsed = precision_recall(real, real[:1].repeat(50, 1) + 1e-3 * torch.randn(50, 2), k=3)
    assert collapsed['precision'] == 1.0 and collapsed['recall'] < 0.05  # mode collapse: precise, no recall


@pytest.fixture(scope='module')
def inception_pair(tmp_path_factory):
    """Our FID Inception and pytorch-fid's, sharing one random state dict written in pytorch-fid's file layout."""
    import pytorch_fid.inception as pfi

    from lmdkit.evaluation.feature_extractors.inception import InceptionV3FID, build_fid_inception

    torch.manual_seed(0)
    net = build_fid_inception()
    state = {}
    for k, v in net.state_dict().items():  # random weights with BN statistics that keep activations O(1)
        if k.endswith('running_var'):
            state[k] = torch.rand_like(v) + 0.5
        elif k.endswith('running_mean'):
            state[k] = torch.randn_like(v) * 0.1
        elif v.dtype.is_floating_point:
            fan_in = v[0].numel() if v.ndim > 1 else 1
            state[k] = (
                torch.randn_like(v) / fan_in**0.5 if v.ndim > 1 else torch.randn_like(v) * 0.1 + (k.endswith('weight'))
            )
        else:
            state[k] = v
    path = tmp_path_factory.mktemp('fid') / 'pt_inception-2015-12-05-6726825d.pth'
    torch.save(state, path)
    original = pfi.load_state_dict_from_url
    pfi.load_state_dict_from_url = lambda *a, **k: torch.load(path, weights_only=True)  # no download
    try:
        reference = pfi.fid_inception_v3().eval()
    finally:
        pfi.load_state_dict_from_url = original
    return InceptionV3FID(checkpoint=str(path)), reference


def test_fid_inception_equals_pytorch_fid(inception_pair):
    import torch.nn.functional as F

    ours, reference = inception_pair
    images = torch.rand(2, 3, 64, 64)
    out = ours(images)
    x = 2 * F.interpolate(images, size=(299, 299), mode='bilinear', align_corners=False) - 1
    seen = {}
    reference.Mixed_6d.branch1x1.register_forward_hook(lambda m, a, o: seen.update(spatial=o))
    with torch.no_grad():
        logits = reference(x)
    assert out['pool'].shape == (2, 2048) and out['logits'].shape == (2, 1008) and out['spatial'].shape == (2, 2023)
    torch.testing.assert_close(out['logits'], logits, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(out['spatial'], seen['spatial'][:, :7].permute(0, 2, 3, 1).flatten(1))
    assert out['pool'].std() > 1e-3  # the random weights propagate a signal


def test_fid_inception_pool_equals_pytorch_fid_block3(inception_pair, monkeypatch):
    import pytorch_fid.inception as pfi

    ours, reference = inception_pair
    monkeypatch.setattr(pfi, 'fid_inception_v3', lambda: reference)
    wrapper = pfi.InceptionV3([3]).eval()  # pytorch-fid's own resize + normalisation path
    images = torch.rand(2, 1, 40, 40)  # grayscale: repeated to RGB by ours
    with torch.no_grad():
        expected = wrapper(images.expand(-1, 3, -1, -1))[0].flatten(1)
    torch.testing.assert_close(ours(images)['pool'], expected, rtol=1e-4, atol=1e-4)


def test_fid_inception_refuses_a_wrong_file(tmp_path):
    from lmdkit.evaluation.feature_extractors.inception import InceptionV3FID

    torch.save({'fc.weight': torch.zeros(3, 3)}, tmp_path / 'bad.pth')
    with pytest.raises(RuntimeError, match='Missing key'):
        InceptionV3FID(checkpoint=str(tmp_path / 'bad.pth'))


def test_clip_score_is_the_mean_cosine_of_the_embeddings(tmp_path):
    require('transformers')
    from transformers import CLIPModel, CLIPTokenizer

    from lmdkit.evaluation.generative import CLIPScorer, clip_preprocess

    model_dir = tiny_clip_dir(tmp_path)
    scorer = CLIPScorer(model_dir)
    images, captions = torch.rand(3, 1, 20, 28), ['a shirt', 'a bag', 'an ankle boot']
    score = scorer(images, captions, batch_size=2)
    # independent computation with the model's own projection heads, one pair at a time
    model, tok = CLIPModel.from_pretrained(model_dir).eval(), CLIPTokenizer.from_pretrained(model_dir)
    cos = []
    with torch.no_grad():
        for img, cap in zip(images, captions):
            out = model(input_ids=tok([cap], return_tensors='pt')['input_ids'],
                        pixel_values=clip_preprocess(img[None], 32))  # fmt: skip
            cos.append(torch.nn.functional.cosine_similarity(out.image_embeds, out.text_embeds).item())
    assert score['clip_score'] == pytest.approx(np.mean(cos), abs=1e-5)
    assert score['clip_score_x100'] == pytest.approx(np.mean([max(100 * c, 0) for c in cos]), abs=1e-3)
    assert clip_preprocess(images, 32).shape == (3, 3, 32, 32)
    with pytest.raises(ValueError, match='captions'):
        scorer(images, captions[:2])
