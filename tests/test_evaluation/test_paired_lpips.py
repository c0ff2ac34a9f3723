"""LPIPS between each text-to-image sample and its caption's reference image: zero for the image itself, the
reference package's distance otherwise, references checked against the prompts."""

import json
import os

import numpy as np
import pytest
import torch
from PIL import Image

from lmdkit.datasets.fmnist_captions import write_fmnist_caption_folder
from lmdkit.evaluation.generative import caption_references, paired_lpips
from lmdkit.registry import MODELS

from ..conftest import require


@pytest.fixture(scope='module')
def alex_lpips(tmp_path_factory):
    lpips = require('lpips')
    torch.manual_seed(0)
    ref = lpips.LPIPS(net='alex', pretrained=True, pnet_rand=True, verbose=False).eval()  # random backbone
    weights = {f'features.{k}': v for s in range(1, 6) for k, v in getattr(ref.net, f'slice{s}').state_dict().items()}
    path = tmp_path_factory.mktemp('lpips') / 'alex.pth'
    torch.save(weights, path)
    lin = os.path.join(os.path.dirname(lpips.__file__), 'weights', 'v0.1', 'alex.pth')
    return ref, MODELS.build(dict(type='LPIPS', net='alex', backbone_checkpoint=str(path), lin_checkpoint=lin))


def test_each_sample_against_its_captions_image(alex_lpips, tmp_path):
    ref, ours = alex_lpips
    write_fmnist_caption_folder(str(tmp_path), limit=60)
    folder = str(tmp_path / 'test')
    rows = [json.loads(line) for line in open(tmp_path / 'test' / 'captions.jsonl')]
    index = [3, 0, 7, 7]
    captions = [rows[i]['caption'] for i in index]
    refs = caption_references(folder, index, captions, channels=1)
    own = torch.stack([torch.from_numpy(np.array(Image.open(tmp_path / 'test' / rows[i]['file_name'])))[None]
                       for i in index])  # fmt: skip
    assert torch.equal(refs, own)
    assert paired_lpips(ours, own, refs) == pytest.approx(0.0, abs=1e-6)
    other = torch.randint(0, 256, own.shape, dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = ref(other.float().expand(-1, 3, -1, -1) / 127.5 - 1, own.float().expand(-1, 3, -1, -1) / 127.5 - 1)
    assert paired_lpips(ours, other, refs, batch_size=3) == pytest.approx(float(expected.mean()), rel=1e-4)
    big = torch.nn.functional.interpolate(own.float(), size=48, mode='bicubic', antialias=True).round().clamp(0, 255)
    assert 0 < paired_lpips(ours, big.to(torch.uint8), refs) < paired_lpips(ours, other, refs)  # references resized
    with pytest.raises(ValueError, match='is not entry 0 of'):
        caption_references(folder, [0], [rows[1]['caption'] + ' x'], channels=1)
    rgb = caption_references(folder, index, captions)  # colour references of grey files: three equal channels
    assert rgb.shape[1] == 3 and torch.equal(rgb[:, :1], own) and torch.equal(rgb[:, 2:], own)
