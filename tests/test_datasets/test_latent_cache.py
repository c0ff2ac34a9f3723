"""Latent cache: tools/cache_latents.py -> LatentCacheDataset round trip (memory-mapped), per-item draws of view and
posterior noise from (seed, epoch, index), refusal of a mismatched cache, skipped images, resume, and LMD training on
cached latents giving the same loss as encoding on the fly."""

import json
import os
import os.path as osp
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import default_collate
from PIL import Image

from lmdkit.apis import cache_pipeline, write_latent_cache
from lmdkit.datasets import EpochInfiniteSampler
from lmdkit.registry import DATASETS, MODELS

from ..conftest import ROOT, require, tiny_clip_dir, tiny_lmd_model

VQ = dict(type='VQGANProjector', in_channels=1, z_channels=32, embed_dim=4, num_codes=64, ch=32, ch_mult=(1, 2, 2),
          num_res_blocks=1, attn_resolutions=(), resolution=16)  # fmt: skip
KL = dict(type='AutoencoderKLProjector', in_channels=3, latent_channels=4, ch=32, ch_mult=(1, 2), num_res_blocks=1,
          resolution=16)  # fmt: skip


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
    cmd = [sys.executable, 'tools/cache_latents.py', str(tmp / 'cfg.py'), '--out', out, '--flip', '--shard-size', '40',
           '--workers', '0']  # fmt: skip
    env = dict(os.environ, PYTHONPATH=ROOT)
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
    return dict(dir=out, cfg=cfg, cmd=cmd, env=env, projector=projector)


def _images(cfg, n):
    """The first n images as the cache saw them (no flip), preprocessed."""
    ds = DATASETS.build(dict(cfg.train_dataloader.dataset, pipeline=cache_pipeline(cfg)))
    return default_collate([ds[i] for i in range(n)])['inputs']


def test_cache_round_trip(cache):
    manifest = json.load(open(osp.join(cache['dir'], 'manifest.json')))
    assert manifest['complete'] and list(manifest['fields']) == ['indices'] and manifest['image_size'] == 16
    assert manifest['views'] == 2 and [s['rows'] for s in manifest['shards']] == [40, 24]
    assert manifest['latent_std'] > 0 and manifest['skipped'] == []
    assert manifest['bytes_per_image'] == 2 * 4 * 4 * 2  # two views of 4x4 int16 code indices
    ds = DATASETS.build(dict(type='LatentCacheDataset', cache_dir=cache['dir'], projector=cache['projector'],
                             image_size=16, use_flips=False))  # fmt: skip
    assert len(ds) == 64
    model = MODELS.build(cache['cfg'].model).eval()
    x = model.data_preprocessor(dict(inputs=_images(cache['cfg'], 48)), False)['inputs']
    cached = model.data_preprocessor(default_collate([ds[i] for i in range(48)]), False)['inputs']  # both shards
    assert torch.equal(cached['indices'].long(), model.projector.encode_indices(x))
    torch.testing.assert_close(model.encode_latents(cached), model.encode_latents(x))
    # the same masks give the same LMD loss from cached latents as from images
    torch.manual_seed(3)
    from_images = model(x, mode='loss')['loss']
    torch.manual_seed(3)
    assert torch.equal(model(cached, mode='loss')['loss'], from_images)
    assert model.reconstruct(cached, 0.5)['reconstruction'].shape == (48, 1, 16, 16)


def test_cache_is_memory_mapped_and_not_pickled(cache):
    ds = DATASETS.build(dict(type='LatentCacheDataset', cache_dir=cache['dir']))
    ds[0]
    arrays = ds._open()['indices']
    assert all(isinstance(a, np.memmap) for a in arrays)
    copy = pickle.loads(pickle.dumps(ds))  # what a dataloader worker receives
    assert copy._arrays is None and torch.equal(copy[5]['inputs']['indices'], ds[5]['inputs']['indices'])


def test_views_are_drawn_per_item_and_epoch(cache):
    ds = DATASETS.build(dict(type='LatentCacheDataset', cache_dir=cache['dir'], seed=7))
    model = MODELS.build(cache['cfg'].model).eval()
    flipped = model.projector.encode_indices(
        model.data_preprocessor(dict(inputs=_images(cache['cfg'], 64)), False)['inputs'].flip(-1)
    )
    picks = []
    for epoch in range(4):
        for i in range(64):
            a, b = ds[(i, epoch)], ds[(i, epoch)]
            assert torch.equal(a['inputs']['indices'], b['inputs']['indices'])  # reproducible
            picks.append(torch.equal(a['inputs']['indices'].long(), flipped[i]))
    # both views occur, for each item across epochs; about half of the draws are flipped
    assert 0.35 < np.mean(picks) < 0.65
    assert torch.equal(ds[3]['inputs']['indices'], ds[(3, 0)]['inputs']['indices'])  # an index alone: epoch 0


def test_mismatched_cache_is_refused(cache, tmp_path):
    other = dict(cache['projector'], num_codes=32)
    with pytest.raises(ValueError, match='settings'):
        DATASETS.build(dict(type='LatentCacheDataset', cache_dir=cache['dir'], projector=other))
    torch.save({'x': torch.zeros(1)}, tmp_path / 'other.pth')
    manifest = json.load(open(osp.join(cache['dir'], 'manifest.json')))
    with pytest.raises(ValueError, match='checkpoint_sha256') as err:
        DATASETS.build(dict(type='LatentCacheDataset', cache_dir=cache['dir'],
                            projector=dict(cache['projector'], checkpoint=str(tmp_path / 'other.pth'))))  # fmt: skip
    assert manifest['projector']['checkpoint_sha256'] in str(err.value)  # names both hashes
    # scaling and posterior sampling happen when reading: a cache serves either choice
    DATASETS.build(dict(type='LatentCacheDataset', cache_dir=cache['dir'],
                        projector=dict(cache['projector'], scaling_factor=0.5)))  # fmt: skip
    with pytest.raises(ValueError, match='32px'):
        DATASETS.build(dict(type='LatentCacheDataset', cache_dir=cache['dir'], image_size=32))
    with pytest.raises(FileNotFoundError, match='cache_latents'):
        DATASETS.build(dict(type='LatentCacheDataset', cache_dir=str(tmp_path)))


def test_interrupted_cache_resumes(cache):
    first = osp.join(cache['dir'], 'shard_00000.indices.npy')
    stamp = os.stat(first).st_mtime_ns
    before = json.load(open(osp.join(cache['dir'], 'manifest.json')))
    os.remove(osp.join(cache['dir'], 'shard_00001.json'))  # shard 1 never finished
    os.remove(osp.join(cache['dir'], 'manifest.json'))
    subprocess.run(cache['cmd'], cwd=ROOT, env=cache['env'], check=True, capture_output=True)
    after = json.load(open(osp.join(cache['dir'], 'manifest.json')))
    assert os.stat(first).st_mtime_ns == stamp, 'a finished shard was rewritten'
    assert after['shards'] == before['shards'] and after['latent_std'] == pytest.approx(before['latent_std'])
    # a rerun with other settings would mix shards of two layouts: refused, naming what changed
    other = [('30' if a == '40' else a) for a in cache['cmd']]
    done = subprocess.run(other, cwd=ROOT, env=cache['env'], capture_output=True, text=True)
    assert done.returncode != 0 and 'shard_size: 40 then, 30 now' in done.stderr


def _photo_folder(root, n_per_class=4):
    """An ImageNet-layout folder of RGB JPEGs of different sizes, one grayscale, one unreadable, one truncated."""
    rng = np.random.default_rng(0)
    for wnid in ('n01', 'n02'):
        os.makedirs(root / 'train' / wnid)
        for i in range(n_per_class):
            h, w = 20 + 3 * i, 26 - 2 * i
            Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(root / 'train' / wnid / f'{i}.JPEG')
    Image.fromarray(rng.integers(0, 256, (30, 22), dtype=np.uint8)).save(root / 'train' / 'n01' / 'gray.JPEG')
    (root / 'train' / 'n02' / 'broken.JPEG').write_text('not an image')
    data = (root / 'train' / 'n02' / '0.JPEG').read_bytes()
    (root / 'train' / 'n02' / 'cut.JPEG').write_bytes(data[: len(data) // 2])


def test_kl_cache_of_a_photo_folder_skips_bad_files_and_samples_per_item(tmp_path):
    _photo_folder(tmp_path / 'data')
    torch.manual_seed(0)
    torch.save(MODELS.build(KL).state_dict(), tmp_path / 'kl.pth')
    projector = dict(KL, checkpoint=str(tmp_path / 'kl.pth'), sample_posterior=True, scaling_factor=0.5)
    pipeline = [dict(type='LoadImage', skip_corrupt=True, backend='pillow'),
                dict(type='RandomResizedCrop', scale=16, crop_ratio_range=(0.2, 1.0)),
                dict(type='RandomFlip', prob=0.5), dict(type='PackInputs')]  # fmt: skip
    dataset = dict(type='ImageNet', data_root=str(tmp_path / 'data'), pipeline=pipeline)
    cfg = Config(dict(
        model=dict(data_preprocessor=dict(type='ImgDataPreprocessor', mean=[127.5] * 3, std=[127.5] * 3),
                   projector=projector),
        train_dataloader=dict(dataset=dataset)))  # fmt: skip
    assert [t['type'] for t in cache_pipeline(cfg)] == ['LoadImage', 'ResizeCenterCrop', 'PackInputs']
    manifest = write_latent_cache(cfg, str(tmp_path / 'cache'), flip=True, shard_size=4, batch_size=3, num_workers=0)
    skipped = {osp.basename(s['path']): s['reason'] for s in manifest['skipped']}
    assert set(skipped) == {'broken.JPEG', 'cut.JPEG'} and 'truncated' in skipped['cut.JPEG'].lower()
    assert manifest['rows'] == 9 and list(manifest['fields']) == ['mean', 'logvar'] and manifest['image_size'] == 16
    assert manifest['bytes_per_image'] == 2 * 2 * 4 * 8 * 8 * 2  # (mean, logvar) x 2 views x 4x8x8 fp16

    ds = DATASETS.build(dict(type='LatentCacheDataset', cache_dir=str(tmp_path / 'cache'), projector=projector))
    kl = MODELS.build(projector).eval()
    a, b = ds[(2, 1)]['inputs'], ds[(2, 1)]['inputs']
    assert torch.equal(a['eps'], b['eps']) and not torch.equal(a['eps'], ds[(2, 2)]['inputs']['eps'])
    batch = default_collate([ds[(i, 0)] for i in range(len(ds))])['inputs']
    z = kl.from_cache(batch)  # uses the items' noise: mean + std · eps, scaled
    expected = (batch['mean'].float() + torch.exp(0.5 * batch['logvar'].float()) * batch['eps']) * 0.5
    torch.testing.assert_close(z, expected)
    assert torch.equal(kl.from_cache(batch), z)  # no fresh randomness
    mode = DATASETS.build(dict(type='LatentCacheDataset', cache_dir=str(tmp_path / 'cache'),
                               projector=dict(projector, sample_posterior=False)))  # fmt: skip
    assert 'eps' not in mode[0]['inputs']


def test_epoch_sampler_partitions_epochs_over_ranks_and_starts_anywhere(monkeypatch):
    import itertools

    from lmdkit.datasets import samplers

    data = list(range(10))
    streams = []
    for rank in range(3):
        monkeypatch.setattr(samplers, 'get_dist_info', lambda r=rank: (r, 3))
        streams.append(list(itertools.islice(iter(EpochInfiniteSampler(data, seed=1)), 20)))
    merged = [streams[p % 3][p // 3] for p in range(60)]  # position p of the all-ranks stream
    for epoch in range(6):
        items = merged[epoch * 10 : (epoch + 1) * 10]
        assert sorted(i for i, _ in items) == data and {e for _, e in items} == {epoch}
    assert [i for i, _ in merged[:10]] != [i for i, _ in merged[10:20]]  # a new order every epoch
    monkeypatch.setattr(samplers, 'get_dist_info', lambda: (1, 3))
    jumped = EpochInfiniteSampler(data, seed=1)
    jumped.set_start(7)
    assert list(itertools.islice(iter(jumped), 13)) == streams[1][7:20]


def test_training_on_the_cache_resumes_exactly_without_rereading(cache, tmp_path, monkeypatch):
    """6 iterations == 3 + resume + 3 on cached latents with per-item draws; the resumed run reads only the batches
    it trains on (EpochInfiniteSampler jumps; MMEngine would re-read the first 3)."""
    from mmengine.runner import Runner

    from lmdkit.datasets import LatentCacheDataset
    from lmdkit.engine import apply_recipe

    from ..conftest import tiny_runner_cfg
    from ..test_engine.test_resume import run

    reads = []
    original = LatentCacheDataset.prepare_data
    monkeypatch.setattr(LatentCacheDataset, 'prepare_data', lambda self, *a: reads.append(a) or original(self, *a))

    def cfg_for(work_dir):
        cfg = tiny_runner_cfg(work_dir, max_iters=6)
        cfg.model = Config(dict(model=cache['cfg'].model)).model
        cfg.train_dataloader.dataset = dict(type='LatentCacheDataset', cache_dir=cache['dir'], seed=5)
        cfg.train_dataloader.sampler = dict(type='EpochInfiniteSampler', shuffle=True)
        cfg.default_hooks.checkpoint.interval = 3
        apply_recipe(cfg, 1)
        return cfg

    straight = run(cfg_for(tmp_path / 'straight'))
    assert {epoch for _, epoch in reads} == {0}  # 48 of 64 items: the first epoch
    run(cfg_for(tmp_path / 'split'), stop_after=3)
    reads.clear()
    cfg = cfg_for(tmp_path / 'split')
    cfg.resume, cfg.load_from = True, str(tmp_path / 'split' / 'iter_3.pth')
    resumed = run(cfg)
    assert isinstance(resumed, Runner) and resumed.iter == 6
    assert len(reads) == 3 * 8, 'the resumed run re-read trained batches'
    for key, value in straight.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[key], value), f'{key} differs after resume'


def test_teacher_features_are_cached_per_view_and_read_instead_of_running_the_teacher(cache, tmp_path):
    """``--teacher``: an image teacher's class token and patch map of each view are stored with the latents; a
    dataset bound to that teacher serves them, the teacher returns them for a cache batch, another teacher's are
    refused and an unbound dataset does not serve them."""
    import timm

    from lmdkit.apis import write_latent_cache
    from lmdkit.datasets.latent_cache import component_identity
    from lmdkit.registry import TEACHERS

    arch = dict(embed_dim=24, depth=1, num_heads=2)
    torch.manual_seed(0)
    vit = timm.create_model('vit_tiny_patch16_224', pretrained=False, num_classes=0, img_size=32, **arch)
    torch.save({'model': vit.state_dict()}, tmp_path / 'vit.pth')
    teacher_cfg = dict(type='TimmViTTeacher', model_name='vit_tiny_patch16_224', checkpoint=str(tmp_path / 'vit.pth'),
                       img_size=32, model_kwargs=arch)  # fmt: skip
    cfg = cache['cfg'].copy()
    cfg.model = dict(cfg.model, alignment=dict(type='REPALoss', teacher=teacher_cfg))
    out = str(tmp_path / 'with_teacher')
    manifest = write_latent_cache(cfg, out, flip=True, shard_size=40, batch_size=16, num_workers=0, teacher=True)
    assert manifest['teacher'] == component_identity(teacher_cfg)
    assert manifest['fields']['teacher_cls']['shape'] == [24]
    assert manifest['fields']['teacher_patches']['shape'] == [2, 2, 24]  # the teacher's own 2x2 grid
    assert manifest['image_size'] == 16 and manifest['bytes_per_image'] == 2 * (4 * 4 * 2 + (24 + 4 * 24) * 2)

    teacher = TEACHERS.build(teacher_cfg)
    teacher.init_weights()
    pre = MODELS.build(cfg.model['data_preprocessor'])
    mean, std = pre.mean.flatten(), pre.std.flatten()
    images = pre(dict(inputs=_images(cfg, 48)), False)['inputs']
    ds = DATASETS.build(dict(type='LatentCacheDataset', cache_dir=out, projector=cache['projector'],
                             teacher=teacher_cfg))  # fmt: skip
    arrays = ds._open()
    for view, x in enumerate((images, images.flip(-1))):
        cls, patches = teacher.features(x, mean, std)
        stored_cls = torch.cat([torch.from_numpy(np.array(a[:, view])) for a in arrays['teacher_cls']])[:48]
        stored = torch.cat([torch.from_numpy(np.array(a[:, view])) for a in arrays['teacher_patches']])[:48]
        torch.testing.assert_close(stored_cls.float(), cls, atol=2e-3, rtol=2e-3)  # float16 storage
        torch.testing.assert_close(stored.float(), patches, atol=2e-3, rtol=2e-3)

    batch = pre(default_collate([ds[(i, 1)] for i in range(8)]), True)['inputs']
    assert set(batch) == {'indices', 'teacher_cls', 'teacher_patches'}
    teacher.model.forward_features = None  # the teacher must not run
    got = teacher(batch, mean, std, (4, 4))  # read, resized to a 4x4 denoiser grid
    assert got.patches.shape == (8, 16, 24)
    torch.testing.assert_close(got.cls, batch['teacher_cls'].float())
    torch.testing.assert_close(
        teacher(batch, mean, std, (2, 2)).patches, batch['teacher_patches'].float().flatten(1, 2)
    )

    plain = DATASETS.build(dict(type='LatentCacheDataset', cache_dir=out))  # no teacher bound: latents only
    assert set(plain[0]['inputs']) == {'indices'}
    with pytest.raises(TypeError, match='--teacher'):
        teacher(pre(default_collate([plain[0]]), True)['inputs'], mean, std, (2, 2))
    torch.save({'model': {k: v + 1 for k, v in vit.state_dict().items()}}, tmp_path / 'other.pth')
    with pytest.raises(ValueError, match='another teacher'):
        DATASETS.build(dict(type='LatentCacheDataset', cache_dir=out,
                            teacher=dict(teacher_cfg, checkpoint=str(tmp_path / 'other.pth'))))  # fmt: skip
    opted_out = DATASETS.build(dict(type='LatentCacheDataset', cache_dir=out, teacher=False))  # the teacher runs
    assert set(opted_out[0]['inputs']) == {'indices'}


def test_a_caption_datasets_cache_serves_its_captions(cache, tmp_path):
    """Captioned images cached: each row's caption is stored beside its latents and served with them, so a
    text-conditioned model trains on the cache."""
    from lmdkit.datasets.fmnist_captions import write_fmnist_caption_folder

    write_fmnist_caption_folder(str(tmp_path / 'captions'), limit=60)
    pipeline = [dict(type='LoadImage', color_type='grayscale'), dict(type='Resize', scale=(16, 16), keep_ratio=False),
                dict(type='RandomFlip', prob=0.5),
                dict(type='PackInputs', meta_keys=('caption', 'sample_idx'))]  # fmt: skip
    dataset = dict(type='CaptionFolder', data_root=str(tmp_path / 'captions' / 'train'), pipeline=pipeline)
    cfg = Config(dict(model=dict(cache['cfg'].model), train_dataloader=dict(dataset=dataset)))
    out = str(tmp_path / 'cache')
    manifest = write_latent_cache(cfg, out, flip=True, shard_size=25, batch_size=8, num_workers=0)
    assert manifest['captions'] and manifest['rows'] == 60
    rows = [json.loads(line) for line in open(tmp_path / 'captions' / 'train' / 'captions.jsonl')]
    ds = DATASETS.build(dict(type='LatentCacheDataset', cache_dir=out, projector=cache['projector']))
    assert [ds[i]['data_samples']['caption'] for i in range(60)] == [r['caption'] for r in rows]
    assert ds.get_data_info(7)['caption'] == rows[7]['caption']
    batch = default_collate([ds[i] for i in range(4)])
    assert batch['data_samples']['caption'] == [r['caption'] for r in rows[:4]]
    plain = DATASETS.build(dict(type='LatentCacheDataset', cache_dir=cache['dir'], projector=cache['projector']))
    assert 'caption' not in plain[0]['data_samples']  # an image dataset's cache has none


def test_a_frozen_text_encoders_caption_embeddings_are_cached_and_read_instead_of_encoding(cache, tmp_path):
    """``--text``: a frozen CLIP's embedding of each row's caption is stored once (per row, not per view); a dataset
    bound to that encoder serves it, and the encoder's batch embedding — caption dropout included — equals encoding
    the captions in the step. Another encoder's cache is refused; a trainable encoder cannot be cached."""
    require('transformers')
    from lmdkit.datasets.fmnist_captions import write_fmnist_caption_folder
    from lmdkit.datasets.latent_cache import component_identity
    from lmdkit.registry import TEXT_ENCODERS

    from ..test_models.test_text_encoders import TINY_CLIP

    (tmp_path / 'clip').mkdir()
    text_cfg = dict(type='CLIPTextEncoder', checkpoint=tiny_clip_dir(tmp_path / 'clip'), arch=TINY_CLIP)
    write_fmnist_caption_folder(str(tmp_path / 'captions'), limit=30)
    pipeline = [dict(type='LoadImage', color_type='grayscale'), dict(type='Resize', scale=(16, 16), keep_ratio=False),
                dict(type='PackInputs', meta_keys=('caption', 'sample_idx'))]  # fmt: skip
    dataset = dict(type='CaptionFolder', data_root=str(tmp_path / 'captions' / 'train'), pipeline=pipeline)
    cfg = Config(dict(model=dict(cache['cfg'].model, text_encoder=text_cfg), train_dataloader=dict(dataset=dataset)))
    out = str(tmp_path / 'cache')
    manifest = write_latent_cache(cfg, out, flip=True, shard_size=20, batch_size=8, num_workers=0, text=True,
                                  dtype='float32')  # fmt: skip
    assert manifest['text']['encoder'] == component_identity(text_cfg)
    assert manifest['text']['fields'] == dict(text_tokens=dict(dtype='float32', shape=[77, 32]),
                                              text_mask=dict(dtype='bool', shape=[77]),
                                              text_pooled=dict(dtype='float32', shape=[32]))  # fmt: skip
    ds = DATASETS.build(dict(type='LatentCacheDataset', cache_dir=out, projector=cache['projector'],
                             text_encoder=text_cfg))  # fmt: skip
    batch = default_collate([ds[i] for i in range(14, 26)])['data_samples']  # across the shard boundary
    encoder = TEXT_ENCODERS.build(text_cfg)
    encoder.init_weights()
    ref = encoder(batch['caption'])
    torch.testing.assert_close(batch['text_tokens'], ref.tokens)
    torch.testing.assert_close(batch['text_pooled'], ref.pooled)
    assert torch.equal(batch['text_mask'], ref.mask.bool())
    torch.manual_seed(5)
    from_cache = encoder.embed_batch(batch, dropout=0.5)
    torch.manual_seed(5)
    dropped = (torch.rand(12) < 0.5).tolist()
    assert 0 < sum(dropped) < 12
    torch.manual_seed(5)
    encoded = encoder.embed_batch(dict(caption=batch['caption']), dropout=0.5)
    for got, want in zip(from_cache, encoded):
        torch.testing.assert_close(got.float(), want.float())
    empty = encoder([''])
    assert [torch.allclose(p, empty.pooled[0]) for p in from_cache.pooled] == dropped

    assert (
        'text_tokens'
        not in DATASETS.build(dict(type='LatentCacheDataset', cache_dir=out, text_encoder=False))[0]['data_samples']
    )  # opted out: the captions are encoded in the step
    with pytest.raises(ValueError, match='another text encoder'):
        DATASETS.build(dict(type='LatentCacheDataset', cache_dir=out, text_encoder=dict(text_cfg, hidden_layer=-2)))
    trainable = dict(type='ByteTextEncoder', dim=32, depth=1, num_heads=2, max_length=16)
    with pytest.raises(ValueError, match='is trained with the model'):
        TEXT_ENCODERS.build(trainable).embed_batch(batch)
    cfg.model.text_encoder = trainable
    with pytest.raises(ValueError, match='only a frozen'):
        write_latent_cache(cfg, str(tmp_path / 'never'), batch_size=8, num_workers=0, text=True)
