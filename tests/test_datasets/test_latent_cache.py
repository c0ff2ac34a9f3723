"""Latent cache: tools/cache_latents.py -> LatentCacheDataset round trip, refusal of a mismatched cache, resume,
and LMD training on cached latents giving the same loss as encoding on the fly."""

import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import default_collate

from lmdkit.registry import DATASETS, MODELS

from ..conftest import ROOT, tiny_lmd_model

VQ = dict(type='VQGANProjector', in_channels=1, z_channels=32, embed_dim=4, num_codes=64, ch=32, ch_mult=(1, 2, 2),
          num_res_blocks=1, attn_resolutions=(), resolution=16)  # fmt: skip


@pytest.fixture(scope='module')
def cache(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('cache')
    torch.manual_seed(0)
    torch.save(MODELS.build(VQ).state_dict(), tmp / 'vq.pth')
    projector = dict(VQ, checkpoint=str(tmp / 'vq.pth'))
    model = tiny_lmd_model(
        data_preprocessor=dict(type='ImageOrLatentPreprocessor', mean=[127.5], std=[127.5]),
        projector=projector,
        backbone=dict(type='MAEViT', img_size=4, patch_size=1, in_channels=4, embed_dim=32, depth=1, num_heads=2),
        neck=dict(type='MAEPretrainDecoder', grid_size=4, patch_size=1, out_channels=4, in_dim=32, embed_dim=16,
                  depth=1, num_heads=2),
    )  # fmt: skip
    pipeline = [dict(type='Resize', scale=(16, 16), keep_ratio=False), dict(type='RandomFlip', prob=0.5),
                dict(type='PackInputs')]  # fmt: skip
    dataset = dict(type='EmbeddedFashionMNIST', split='train', indices=64, pipeline=pipeline)
    cfg = Config(dict(model=model, train_dataloader=dict(dataset=dataset), val_dataloader=dict(dataset=dataset)))
    cfg.dump(str(tmp / 'cfg.py'))
    out = str(tmp / 'train')
    cmd = [sys.executable, 'tools/cache_latents.py', str(tmp / 'cfg.py'), '--out', out, '--flip', '--shard-size', '40']
    env = dict(os.environ, PYTHONPATH=ROOT)
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
    return dict(dir=out, cfg=cfg, cmd=cmd, env=env, projector=projector)


def test_cache_round_trip(cache):
    manifest = json.load(open(osp.join(cache['dir'], 'manifest.json')))
    assert manifest['complete'] and manifest['fields'] == ['indices'] and manifest['image_size'] == 16
    assert [s['size'] for s in manifest['shards']] == [80, 48] and manifest['latent_std'] > 0
    ds = DATASETS.build(dict(type='LatentCacheDataset', cache_dir=cache['dir'], projector=cache['projector'],
                             image_size=16))  # fmt: skip
    assert len(ds) == 128 and sum(ds.get_data_info(i)['flipped'] for i in range(128)) == 64
    images = DATASETS.build(dict(cache['cfg'].train_dataloader.dataset, pipeline=[
        dict(type='Resize', scale=(16, 16), keep_ratio=False), dict(type='PackInputs')]))  # fmt: skip
    model = MODELS.build(cache['cfg'].model).eval()
    batch = default_collate([images[i] for i in range(40)])
    x = model.data_preprocessor(dict(inputs=batch['inputs']), False)['inputs']
    cached = default_collate([ds[i] for i in range(40)])  # shard 0 holds images 0..39 unflipped first
    latents = model.data_preprocessor(cached, False)['inputs']
    assert torch.equal(latents['indices'].long(), model.projector.encode_indices(x))
    torch.testing.assert_close(model.encode_latents(latents), model.encode_latents(x))
    # the same masks give the same LMD loss from cached latents as from images
    torch.manual_seed(3)
    from_images = model(x, mode='loss')['loss']
    torch.manual_seed(3)
    assert torch.equal(model(latents, mode='loss')['loss'], from_images)
    rec = model.reconstruct(latents, 0.5)
    assert rec['reconstruction'].shape == (40, 1, 16, 16)


def test_mismatched_cache_is_refused(cache, tmp_path):
    other = dict(cache['projector'], num_codes=32)
    with pytest.raises(ValueError, match='settings'):
        DATASETS.build(dict(type='LatentCacheDataset', cache_dir=cache['dir'], projector=other))
    torch.save({'x': torch.zeros(1)}, tmp_path / 'other.pth')
    with pytest.raises(ValueError, match='checkpoint_sha256'):
        DATASETS.build(dict(type='LatentCacheDataset', cache_dir=cache['dir'],
                            projector=dict(cache['projector'], checkpoint=str(tmp_path / 'other.pth'))))  # fmt: skip
    with pytest.raises(ValueError, match='32px'):
        DATASETS.build(dict(type='LatentCacheDataset', cache_dir=cache['dir'], image_size=32))
    with pytest.raises(FileNotFoundError, match='cache_latents'):
        DATASETS.build(dict(type='LatentCacheDataset', cache_dir=str(tmp_path)))


def test_interrupted_cache_resumes(cache):
    first = osp.join(cache['dir'], 'shard_00000.pt')
    stamp = os.stat(first).st_mtime_ns
    before = json.load(open(osp.join(cache['dir'], 'manifest.json')))
    os.remove(osp.join(cache['dir'], 'shard_00001.pt'))
    os.remove(osp.join(cache['dir'], 'manifest.json'))
    subprocess.run(cache['cmd'], cwd=ROOT, env=cache['env'], check=True, capture_output=True)
    after = json.load(open(osp.join(cache['dir'], 'manifest.json')))
    assert os.stat(first).st_mtime_ns == stamp, 'a finished shard was rewritten'
    assert after['shards'] == before['shards'] and after['latent_std'] == pytest.approx(before['latent_std'])
