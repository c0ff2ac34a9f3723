"""Encode a dataset once with a config's projector into a latent cache (format: ``lmdkit.datasets.latent_cache``).

Every rank of a ``torchrun`` job encodes its own shards (shard s belongs to rank s mod world size); a shard is done
when its marker file exists, so a rerun continues where an interrupted one stopped. Rank 0 writes the manifest once
every shard is there. Unreadable images are skipped and listed in the manifest with their path and reason. With
``teacher=True`` the config's alignment teacher (``model.alignment.teacher``) also encodes every view once, so that
training on the cache reads its features instead of running it; with ``text=True`` the config's frozen text encoder
(``model.text_encoder``) embeds each row's caption once, the same way for its text-to-image training.
"""

import copy
import json
import os
import os.path as osp
import time
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmengine.utils import ProgressBar
from torch.utils.data import DataLoader, Dataset

from ..datasets.latent_cache import FORMAT_VERSION, MANIFEST, TEXT_FIELDS, component_identity, projector_identity
from ..fileio import atomic_write
from ..registry import DATASETS, MODELS, TEACHERS, TEXT_ENCODERS

SETTINGS = 'settings.json'  # what the first run encoded with; a rerun must match it

#: train-pipeline transforms dropped for the cache (the flip is stored as a second view instead)
RANDOM_TRANSFORMS = ('RandomFlip', 'RandAugment', 'ColorJitter')
#: random crops replaced by a deterministic resize + centre crop of the same output size
RANDOM_CROPS = ('RandomResizedCrop', 'RandomCrop')


def cache_pipeline(cfg: Config, split: str = 'train') -> List[dict]:
    """The deterministic pipeline a cache encodes: the config's ``cache_pipeline`` if it has one, else its
    ``<split>_dataloader`` pipeline with random crops replaced by ``ResizeCenterCrop`` at the crop's output size and
    random flips and colour changes dropped. ``LoadImage`` raises on unreadable images (the writer lists them)."""
    if cfg.get('cache_pipeline'):
        pipeline = copy.deepcopy(list(cfg.cache_pipeline))
    else:
        pipeline = []
        for t in copy.deepcopy(list(cfg[f'{split}_dataloader'].dataset.get('pipeline', []))):
            if t['type'] in RANDOM_TRANSFORMS:
                continue
            if t['type'] == 'LoadRandomResizedCrop':  # fused decode + random crop: decode, then the centre view
                pipeline += [dict(type='LoadImage', backend='pillow'), dict(type='ResizeCenterCrop', size=_side(t))]
                continue
            if t['type'] in RANDOM_CROPS:
                t = dict(type='ResizeCenterCrop', size=_side(t))
            pipeline.append(t)
    for t in pipeline:
        if t['type'] == 'LoadImage':
            t['skip_corrupt'] = False
        if t['type'] == 'PackInputs' and 'caption' in t.get('meta_keys', ()):
            t['meta_keys'] = ('gt_label', 'sample_idx', 'caption')  # the writer reads labels and captions
    return pipeline


def _side(transform: dict) -> int:
    """The square output side of a random crop transform."""
    size = transform.get('scale', transform.get('crop_size', transform.get('size')))
    sides = {size} if isinstance(size, int) else set(size or ())
    if len(sides) != 1:
        raise ValueError(f"{transform['type']} has no square output size ({size!r}); set the config's cache_pipeline")
    return int(sides.pop())


class _Items(Dataset):
    """``dataset``'s items ``indices``, each as (index, item or None, reason): a failing image does not stop the
    dataloader, it is reported."""

    def __init__(self, dataset, indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, list(indices)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int):
        index = self.indices[i]
        try:
            item = self.dataset.prepare_data(index)
        except Exception as e:  # undecodable, truncated, missing: listed in the manifest
            return index, None, f'{type(e).__name__}: {e}'.splitlines()[0][:300]
        if item is None:
            return index, None, 'the pipeline returned nothing'
        return index, item, None


def _collate(batch: list) -> dict:
    good = [(i, item) for i, item, _ in batch if item is not None]
    out = dict(failed=[(i, reason) for i, item, reason in batch if item is None], index=[i for i, _ in good])
    out['batch'] = default_collate([item for _, item in good]) if good else None
    return out


def _path_of(dataset, index: int) -> str:
    try:
        return str(dataset.get_data_info(index).get('img_path', f'item {index}'))
    except Exception:  # noqa: BLE001 - a description only
        return f'item {index}'


def _storage(value: torch.Tensor, dtype: np.dtype) -> np.ndarray:
    """Floating fields in the cache's dtype; integer fields (code indices) as they come, narrowed per shard."""
    array = value.cpu().numpy()
    return array.astype(dtype) if np.issubdtype(array.dtype, np.floating) else array


def _narrow(array: np.ndarray) -> np.ndarray:
    """int16 for a shard of integers that fit in it (VQ code indices), else int32."""
    if np.issubdtype(array.dtype, np.floating):
        return array
    fits = not array.size or (array.max() < 2**15 and array.min() >= -(2**15))
    return array.astype(np.int16 if fits else np.int32)


def _check_settings(out: str, settings: dict, rank: int, world: int) -> None:
    """A rerun must encode as the first run did (its finished shards are kept): refuse other settings, naming them."""
    path = osp.join(out, SETTINGS)
    if rank == 0 and not osp.isfile(path):
        atomic_write(path, lambda f: json.dump(settings, f, indent=2), mode='w')
    if world > 1:
        dist.barrier()
    with open(path) as f:
        before = json.load(f)
    changed = sorted(k for k in set(before) | set(settings) if before.get(k) != settings.get(k))
    if changed:
        details = '; '.join(f'{k}: {before.get(k)!r} then, {settings.get(k)!r} now' for k in changed)
        raise ValueError(f'latent cache {out} was started with other settings ({details}); rerun with the same '
                         'settings to finish it, or write to a new --out folder')  # fmt: skip


def _save_npy(path: str, array: np.ndarray) -> None:
    atomic_write(path, lambda f: np.save(f, array))


def _teacher_views(teacher, preprocessor, images: torch.Tensor, flip: bool) -> Dict[str, torch.Tensor]:
    """The teacher's class token (B, views, D) and patch map (B, views, h, w, D) of each view of the batch."""
    mean, std = preprocessor.mean.flatten(), preprocessor.std.flatten()
    views = [teacher.features(v, mean, std) for v in ([images, images.flip(-1)] if flip else [images])]
    return dict(
        teacher_cls=torch.stack([c for c, _ in views], 1), teacher_patches=torch.stack([p for _, p in views], 1)
    )


@torch.no_grad()
def _encode_shard(projector, preprocessor, dataset, lo: int, hi: int, flip: bool, dtype: np.dtype, device,
                  batch_size: int, num_workers: int, bar, teacher=None,
                  text_encoder=None) -> Dict[str, Any]:  # fmt: skip
    loader = DataLoader(_Items(dataset, range(lo, hi)), batch_size=batch_size, num_workers=num_workers,
                        collate_fn=_collate, shuffle=False)  # fmt: skip
    parts: Dict[str, list] = {}
    text_parts: Dict[str, list] = {}  # per row (a caption's embedding is the same for both views)
    labels, captions, indices, skipped = [], [], [], []
    stats = np.zeros(3)  # count, sum, sum of squares of the latents encode() gives
    for out in loader:
        skipped += [dict(index=i, path=_path_of(dataset, i), reason=r) for i, r in out['failed']]
        if out['batch'] is None:
            bar.update(len(out['failed']))
            continue
        images = preprocessor(dict(inputs=out['batch']['inputs'].to(device)), False)['inputs']
        views = [projector.cache_encode(images)]
        if flip:
            views.append(projector.cache_encode(images.flip(-1)))
        # the statistics of what training reads: posterior samples when the projector samples (sample=True)
        latents = projector.from_cache(views[0], sample=True).double()
        stats += [latents.numel(), latents.sum().item(), latents.pow(2).sum().item()]
        for k in views[0]:
            parts.setdefault(k, []).append(_storage(torch.stack([v[k] for v in views], dim=1), dtype))
        if teacher is not None:  # after the projector's fields: the manifest reads the image size off the first
            for k, v in _teacher_views(teacher, preprocessor, images, flip).items():
                parts.setdefault(k, []).append(_storage(v, dtype))
        samples = out['batch']['data_samples']
        labels.append(samples['gt_label'].numpy())
        if 'caption' in samples:  # a caption dataset: each image's caption travels with its latents
            captions += list(samples['caption'])
        if text_encoder is not None:
            if 'caption' not in samples:
                raise ValueError('text=True caches caption embeddings, but the dataset gives no captions (a caption '
                                 "dataset with PackInputs(meta_keys=('caption', ...)))")  # fmt: skip
            embedding = text_encoder(list(samples['caption']))
            for k, v in zip(TEXT_FIELDS, embedding):
                text_parts.setdefault(k, []).append(v.bool().cpu().numpy() if k == 'text_mask' else _storage(v, dtype))
        indices += out['index']
        bar.update(len(out['index']) + len(out['failed']))
    return dict(parts=parts, text_parts=text_parts, labels=labels, captions=captions, indices=indices,
                skipped=skipped, stats=stats.tolist())  # fmt: skip


def write_latent_cache(
    cfg: Config,
    out: str,
    split: str = 'train',
    flip: bool = False,
    shard_size: int = 10_000,
    batch_size: int = 64,
    num_workers: int = 2,
    dtype: str = 'float16',
    device: Optional[str] = None,
    teacher: bool = False,
    text: bool = False,
) -> Optional[dict]:
    """Encode ``cfg``'s ``split`` dataset with ``cfg.model.projector`` (and, with ``teacher``, the features of
    ``cfg.model.alignment.teacher``; with ``text``, the caption embeddings of the frozen ``cfg.model.text_encoder``)
    into ``out`` (resumable; every rank of an initialised process group its own shards). Returns the manifest on
    rank 0, None on the others."""
    rank, world = (dist.get_rank(), dist.get_world_size()) if dist.is_initialized() else (0, 1)
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    proj_cfg = cfg.model.get('projector')
    if proj_cfg is None:
        raise KeyError('the config has no model.projector to encode with')
    projector = MODELS.build(proj_cfg).to(device).eval()
    preprocessor = MODELS.build(cfg.model.data_preprocessor).to(device)
    teacher_cfg = (cfg.model.get('alignment') or {}).get('teacher') if teacher else None
    if teacher and teacher_cfg is None:
        raise KeyError('teacher=True caches the features of model.alignment.teacher, which this config has not')
    teacher_model = None
    if teacher_cfg is not None:
        teacher_model = TEACHERS.build(teacher_cfg)
        teacher_model.init_weights()  # its weights file, as training reads it
        teacher_model.to(device)
    text_cfg = cfg.model.get('text_encoder') if text else None
    text_model = _frozen_text_encoder(text_cfg, device) if text else None
    pipeline = cache_pipeline(cfg, split)
    ds_cfg = copy.deepcopy(cfg[f'{split}_dataloader'].dataset)
    ds_cfg.pipeline = pipeline
    dataset = DATASETS.build(ds_cfg)
    n, np_dtype = len(dataset), np.dtype(dtype)
    os.makedirs(out, exist_ok=True)
    identity = projector_identity(proj_cfg)  # hashes the weights file: once
    teacher_id = component_identity(teacher_cfg) if teacher_cfg is not None else None
    text_id = component_identity(text_cfg) if text_cfg is not None else None
    settings = dict(projector=identity, dataset=dict(type=ds_cfg.type, size=n), split=split, pipeline=pipeline,
                    flip=flip, shard_size=shard_size, dtype=dtype, teacher=teacher_id, text=text_id)  # fmt: skip
    _check_settings(out, json.loads(json.dumps(settings)), rank, world)  # (JSON round trip: tuples become lists)
    names = [f'shard_{s:05d}' for s in range((n + shard_size - 1) // shard_size)]
    mine = [s for s in range(len(names)) if s % world == rank]
    todo = [s for s in mine if not osp.isfile(osp.join(out, names[s] + '.json'))]
    if rank == 0:
        print(f'encoding {n} images of {ds_cfg.type} ({split}) with {proj_cfg.type}{" + flips" if flip else ""} into '
              f'{len(names)} shard(s) at {out} on {world} rank(s); {len(mine) - len(todo)} of rank 0\'s '
              f'{len(mine)} shard(s) already done\npipeline: {[t["type"] for t in pipeline]}', flush=True)  # fmt: skip
    started = time.time()
    bar = ProgressBar(sum(min(n, (s + 1) * shard_size) - s * shard_size for s in todo)) if rank == 0 else _NoBar()
    encoded = 0
    for s in todo:
        lo, hi = s * shard_size, min(n, (s + 1) * shard_size)
        got = _encode_shard(projector, preprocessor, dataset, lo, hi, flip, np_dtype, device, batch_size,
                            num_workers, bar, teacher_model, text_model)  # fmt: skip
        rows = len(got['indices'])
        fields = {}
        for k, chunks in got['parts'].items():
            array = _narrow(np.concatenate(chunks))
            _save_npy(osp.join(out, f'{names[s]}.{k}.npy'), array)
            fields[k] = dict(dtype=str(array.dtype), shape=list(array.shape[2:]))
        _save_npy(osp.join(out, f'{names[s]}.gt_label.npy'),
                  np.concatenate(got['labels']).astype(np.int64) if rows else np.zeros(0, np.int64))  # fmt: skip
        _save_npy(osp.join(out, f'{names[s]}.index.npy'), np.asarray(got['indices'], dtype=np.int64))
        text_fields = {}
        for k, chunks in got['text_parts'].items():
            array = np.concatenate(chunks)
            _save_npy(osp.join(out, f'{names[s]}.{k}.npy'), array)
            text_fields[k] = dict(dtype=str(array.dtype), shape=list(array.shape[1:]))
        if got['captions']:
            atomic_write(osp.join(out, f'{names[s]}.caption.json'),
                         lambda f, c=got['captions']: json.dump(c, f, ensure_ascii=False), mode='w')  # fmt: skip
        marker = dict(name=names[s], start=lo, stop=hi, rows=rows, fields=fields, skipped=got['skipped'],
                      stats=got['stats'], captions=bool(got['captions']), text_fields=text_fields,
                      seconds=time.time() - started)  # fmt: skip
        atomic_write(osp.join(out, names[s] + '.json'), lambda f, m=marker: json.dump(m, f), mode='w')
        encoded += hi - lo
    seconds = time.time() - started
    if world > 1:
        dist.barrier()
    manifest = None
    if rank == 0:
        manifest = _write_manifest(cfg, out, names, proj_cfg, identity, projector.downsample_factor, dataset, split,
                                   flip, dtype, world, pipeline, teacher_id, text_id)  # fmt: skip
        rate = f'{encoded / seconds:.1f} images/s on rank 0' if encoded else 'nothing left to encode'
        print(f'\n{manifest["rows"]} images cached ({len(manifest["skipped"])} skipped), {rate}; latent std '
              f'{manifest["latent_std"]:.4f}, {manifest["bytes_per_image"]:,} bytes per image -> '
              f'{osp.join(out, MANIFEST)}', flush=True)  # fmt: skip
    if world > 1:
        dist.barrier()
    return manifest


def _frozen_text_encoder(text_cfg: Optional[dict], device):
    """The config's text encoder with its weights, checked to be frozen (a trainable one changes as it learns: its
    embeddings cannot be cached)."""
    if text_cfg is None:
        raise KeyError('text=True caches the caption embeddings of model.text_encoder, which this config has not')
    encoder = TEXT_ENCODERS.build(text_cfg)
    if not encoder.frozen:
        raise ValueError(f'model.text_encoder ({text_cfg.get("type")}) is trained with the model: only a frozen '
                         'encoder\'s embeddings can be cached (set frozen=True, or cache without text)')  # fmt: skip
    encoder.init_weights()  # its weights folder, as training reads it
    return encoder.to(device).eval()


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass


def _write_manifest(cfg, out, names, proj_cfg, identity, factor, dataset, split, flip, dtype, world, pipeline,
                    teacher_id, text_id) -> dict:  # fmt: skip
    markers = []
    for name in names:
        path = osp.join(out, name + '.json')
        if not osp.isfile(path):
            raise RuntimeError(f'latent cache {out}: shard {name} is missing after every rank finished; rerun the '
                               'same command to encode it')  # fmt: skip
        with open(path) as f:
            markers.append(json.load(f))
        if markers[-1]['start'] != (markers[-2]['stop'] if len(markers) > 1 else 0):
            raise RuntimeError(f'latent cache {out}: shard {name} starts at {markers[-1]["start"]}, not where the '
                               'previous one stopped; rebuild the cache in a new folder')  # fmt: skip
    fields = next((m['fields'] for m in markers if m['fields']), None)
    if fields is None:
        raise RuntimeError(f'latent cache {out}: no image could be read (see the skipped list in the shard files)')
    count, total, total_sq = np.sum([m['stats'] for m in markers], axis=0).tolist()
    mean = total / max(count, 1)
    std = max(total_sq / max(count, 1) - mean**2, 0.0) ** 0.5
    text_fields = next((m['text_fields'] for m in markers if m.get('text_fields')), None)
    views = 2 if flip else 1
    per_image = sum(views * int(np.prod(f['shape'])) * np.dtype(f['dtype']).itemsize for f in fields.values())
    per_image += sum(int(np.prod(f['shape'])) * np.dtype(f['dtype']).itemsize for f in (text_fields or {}).values())
    manifest = dict(
        version=FORMAT_VERSION,
        complete=True,
        projector=identity,
        projector_checkpoint=proj_cfg.get('checkpoint'),
        teacher=teacher_id,
        image_size=int(next(iter(fields.values()))['shape'][-1] * factor),  # latent side × downsampling
        dataset=dict(type=dataset.__class__.__name__, split=split, size=len(dataset)),
        pipeline=pipeline,
        views=views,
        fields=fields,
        dtype=dtype,
        rows=sum(m['rows'] for m in markers),
        # each row's caption in <shard>.caption.json (a caption dataset: LatentCacheDataset serves them)
        captions=all(m.get('captions') for m in markers if m['rows']),
        # each row's caption embedding by a frozen text encoder (text_tokens, text_mask, text_pooled), or None
        text=dict(encoder=text_id, fields=text_fields) if text_id is not None else None,
        shards=[dict(name=m['name'], start=m['start'], stop=m['stop'], rows=m['rows']) for m in markers],
        skipped=[s for m in markers for s in m['skipped']],
        latent_mean=mean,
        latent_std=std,
        suggested_scaling_factor=1.0 / std if std > 0 else None,
        bytes_per_image=per_image,
        ranks=world,
        config=cfg.filename if getattr(cfg, 'filename', None) else None,
    )
    atomic_write(osp.join(out, MANIFEST), lambda f: json.dump(manifest, f, indent=2), mode='w')
    return manifest
