"""The generative evaluator, its MMEngine metric and tools/eval_gen.py with a classifier feature network."""

import json
import sys

import numpy as np
import pytest
import torch

from lmdkit.evaluation.generative import feature_statistics, frechet_distance
from lmdkit.evaluation.generative.evaluator import GenerativeEvaluator, load_images
from lmdkit.evaluation.metrics import GenerativeMetric
from lmdkit.registry import MODELS

from ..conftest import tiny_diffusion_model
from ..test_tools.test_cli import sh

CONVNET = 'configs/evaluation/convnet_fmnist.py'


@pytest.fixture(scope='module')
def classifier(tmp_path_factory):
    """The FID-FMNIST ConvNet with random weights (and BN statistics), saved as an lmdkit checkpoint."""
    from lmdkit.apis import init_model

    torch.manual_seed(0)
    model = init_model(CONVNET)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.normal_(0, 0.1)
    path = tmp_path_factory.mktemp('convnet') / 'convnet.pth'
    torch.save(dict(state_dict=model.state_dict(), meta={}), path)
    return model, str(path)


def write_npz(path, images, labels=None):
    arrays = dict(arr_0=images.permute(0, 2, 3, 1).numpy())
    if labels is not None:
        arrays['arr_1'] = labels.numpy()
    np.savez(path, **arrays)
    return str(path)


def test_evaluator_against_direct_computation(classifier, tmp_path):
    model, ckpt = classifier
    g = torch.Generator().manual_seed(0)
    ref = torch.randint(0, 256, (60, 1, 32, 32), dtype=torch.uint8, generator=g)
    fake = (ref[:40].float() * 0.5).to(torch.uint8)
    labels = torch.arange(40) % 10
    evaluator = GenerativeEvaluator(dict(type='ClassifierFeatures', config=CONVNET, checkpoint=ckpt),
                                    write_npz(tmp_path / 'ref.npz', ref), name='convnet',
                                    stats_cache=str(tmp_path / 'cache'), batch_size=16)  # fmt: skip
    res = evaluator.evaluate(fake, labels)
    # the same numbers straight from the classifier
    with torch.no_grad():
        inputs = lambda x: model.data_preprocessor(dict(inputs=x.float()), False)['inputs']  # noqa: E731
        f_ref, f_fake = model.extract_feat(inputs(ref)).numpy(), model.extract_feat(inputs(fake)).numpy()
        pred = model(inputs(fake), mode='tensor').argmax(1)
    expected = frechet_distance(*feature_statistics(f_fake), *feature_statistics(f_ref))
    assert res['fid'] == pytest.approx(expected, rel=1e-4)
    assert res['class_consistency'] == pytest.approx(float((pred == labels).float().mean()))
    assert {'precision', 'recall', 'inception_score', 'num_samples'} <= set(res) and 'sfid' not in res
    # identical sets: FID 0; the reference features came from the cache the first call wrote
    assert len(list((tmp_path / 'cache').glob('*.npz'))) == 1
    assert evaluator.evaluate(ref)['fid'] == pytest.approx(0.0, abs=1e-6)


def test_load_images_from_folder_and_npz(tmp_path):
    from PIL import Image

    imgs = torch.randint(0, 256, (3, 3, 8, 8), dtype=torch.uint8)
    for i, img in enumerate(imgs):
        Image.fromarray(img.permute(1, 2, 0).numpy()).save(tmp_path / f'{i}.png')
    loaded, labels = load_images(str(tmp_path))
    assert torch.equal(loaded, imgs) and labels is None
    loaded, labels = load_images(write_npz(tmp_path / 's.npz', imgs, torch.tensor([4, 5, 6])), limit=2)
    assert torch.equal(loaded, imgs[:2]) and labels.tolist() == [4, 5]
    with pytest.raises(ValueError, match='cannot read'):
        load_images(str(tmp_path / 'nothing.txt'))


def test_metric_scores_samples_generated_during_validation(classifier, tmp_path):
    _, ckpt = classifier
    torch.manual_seed(0)
    model = MODELS.build(tiny_diffusion_model(val_sampling=dict(steps=2))).eval()
    images = torch.randint(0, 256, (6, 1, 8, 8), dtype=torch.uint8)
    samples = dict(gt_label=torch.arange(6), sample_idx=torch.arange(6))
    data = model.data_preprocessor(dict(inputs=images, data_samples=samples), False)
    preds = model(**data, mode='predict')
    again = model(**data, mode='predict')
    assert preds[0]['gen_image'].dtype == torch.uint8 and preds[0]['gen_image'].shape == (1, 8, 8)
    assert [p['gen_label'] for p in preds] == list(range(6))
    assert all(torch.equal(a['gen_image'], b['gen_image']) for a, b in zip(preds, again))  # seeded by index
    half = model(data['inputs'][3:], dict(gt_label=samples['gt_label'][3:], sample_idx=samples['sample_idx'][3:]),
                 mode='predict')  # fmt: skip
    assert all(torch.equal(a['gen_image'], b['gen_image']) for a, b in zip(preds[3:], half))  # not by the batch
    ref = write_npz(tmp_path / 'ref.npz', torch.randint(0, 256, (20, 1, 8, 8), dtype=torch.uint8))
    metric = GenerativeMetric(dict(type='ClassifierFeatures', config=CONVNET, checkpoint=ckpt), ref, name='fmnist',
                              stats_cache=None)  # fmt: skip
    metric.process(None, preds)
    scores = metric.compute_metrics(metric.results)
    assert {'fmnist/fid', 'fmnist/class_consistency', 'fmnist/precision'} <= set(scores)
    with pytest.raises(ValueError, match='val_sampling'):
        metric.compute_metrics([])


def test_eval_gen_tool_merges_into_the_summary(classifier, tmp_path):
    _, ckpt = classifier
    g = torch.Generator().manual_seed(1)
    ref = write_npz(tmp_path / 'ref.npz', torch.randint(0, 256, (30, 1, 32, 32), dtype=torch.uint8, generator=g))
    samples = write_npz(tmp_path / 'samples.npz', torch.randint(0, 256, (20, 1, 32, 32), dtype=torch.uint8,
                                                                  generator=g), torch.arange(20) % 10)  # fmt: skip
    run = tmp_path / 'run'
    run.mkdir()
    (run / 'summary.json').write_text(json.dumps(dict(final_iter=7)))
    sh(sys.executable, 'tools/eval_gen.py', samples, '--ref', ref, '--classifier', CONVNET, ckpt,
       '--stats-cache', str(tmp_path / 'cache'), '--work-dir', str(run), '--tag', 'iter_7',
       '--out', str(tmp_path / 'res.json'))  # fmt: skip
    summary = json.loads((run / 'summary.json').read_text())
    res = summary['generative']['convnet_fmnist']['iter_7']
    assert summary['final_iter'] == 7 and res['num_samples'] == 20 and res['fid'] > 0
    assert json.loads((tmp_path / 'res.json').read_text())['fid'] == res['fid']


def test_class_consistency_only_from_a_classifier_of_the_data_classes(tmp_path):
    class Stub(torch.nn.Module):  # Inception-like: logits over its own classes, not the dataset's
        def forward(self, x):
            return dict(pool=x.flatten(1)[:, :8], logits=x.flatten(1)[:, :10])

    ref = write_npz(tmp_path / 'ref.npz', torch.randint(0, 256, (30, 1, 8, 8), dtype=torch.uint8))
    evaluator = GenerativeEvaluator(Stub(), ref, name='stub', stats_cache=None)
    fake = torch.randint(0, 256, (20, 1, 8, 8), dtype=torch.uint8)
    assert 'class_consistency' not in evaluator.evaluate(fake, torch.arange(20) % 10)
    evaluator.net.predicts_data_labels = True
    assert 'class_consistency' in evaluator.evaluate(fake, torch.arange(20) % 10)


def test_eval_gen_scores_prompt_following_of_text_to_image_samples(classifier, tmp_path):
    """Samples with their prompts (tools/sample.py --prompts): class consistency against the prompted class, and
    attribute consistency; the captioned test images as 'samples' follow their own captions exactly."""
    from lmdkit.datasets.fmnist_captions import write_fmnist_caption_folder

    _, ckpt = classifier
    data = tmp_path / 'captions'
    write_fmnist_caption_folder(str(data), limit=40)
    rows = [json.loads(line) for line in open(data / 'test' / 'captions.jsonl')]
    from PIL import Image

    images = np.stack([np.array(Image.open(data / 'test' / r['file_name']))[..., None] for r in rows])
    samples = str(tmp_path / 'samples.npz')
    np.savez(samples, arr_0=images, captions=np.array([r['caption'] for r in rows]))
    sh(sys.executable, 'tools/eval_gen.py', samples, '--ref', str(data / 'train'), '--classifier', CONVNET, ckpt,
       '--stats-cache', '', '--attributes', str(data), '--out', str(tmp_path / 'res.json'))  # fmt: skip
    res = json.loads((tmp_path / 'res.json').read_text())
    assert res['attribute_consistency'] == 1.0 and res['attr-texture'] == 1.0
    assert 0.0 <= res['class_consistency'] <= 1.0  # against the prompted classes (a barely trained classifier)
    np.savez(samples, arr_0=images)
    with pytest.raises(AssertionError, match='has no captions'):
        sh(sys.executable, 'tools/eval_gen.py', samples, '--ref', str(data / 'train'), '--classifier', CONVNET, ckpt,
           '--stats-cache', '', '--attributes', str(data))  # fmt: skip
