"""Latents encoded once by a projector and read back instead of images (``tools/cache_latents.py`` writes them).

Layout of a cache folder: ``manifest.json`` (projector type and settings, sha256 of its weights, image size,
dataset, fields, shards, latent statistics, ``complete``) and ``shard_00000.pt``… (dicts of tensors: the
projector's cache fields, ``gt_label``), all loadable with ``torch.load(weights_only=True)``.
"""

import hashlib
import json
import os.path as osp
from typing import List, Optional, Sequence

import torch
from mmengine.dataset import BaseDataset

from lmdkit.registry import DATASETS

MANIFEST = 'manifest.json'


def file_sha256(path: Optional[str]) -> Optional[str]:
    """sha256 of a weights file (None for projectors without weights)."""
    if not path:
        return None
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(cache_dir: str) -> dict:
    path = osp.join(cache_dir, MANIFEST)
    if not osp.isfile(path):
        raise FileNotFoundError(f'no latent cache at {cache_dir} (missing {MANIFEST}); create it with '
                                'tools/cache_latents.py CONFIG --out DIR')  # fmt: skip
    with open(path) as f:
        return json.load(f)


def projector_identity(projector_cfg: dict) -> dict:
    """The projector facts a cache must match: type, weights hash and the settings that change its output."""
    keys = ('scaling_factor', 'sample_posterior', 'quantize_latents', 'latent_channels', 'embed_dim', 'num_codes')
    return dict(
        type=projector_cfg.get('type'),
        checkpoint_sha256=file_sha256(projector_cfg.get('checkpoint')),
        settings={k: projector_cfg[k] for k in keys if k in projector_cfg},
    )


@DATASETS.register_module()
class LatentCacheDataset(BaseDataset):
    """Serves cached latents: ``inputs`` is the projector's cache record (e.g. ``indices`` for a VQGAN, ``mean``/
    ``logvar`` for a KL autoencoder), ``data_samples`` holds ``gt_label``, ``sample_idx`` and ``flipped``.

    Args:
        cache_dir: folder written by ``tools/cache_latents.py``.
        projector: the projector config of the experiment; a cache made by another projector type, other weights
            or other settings is refused.
        image_size: the image size the experiment expects; a cache made at another size is refused.
        use_flips: also serve the horizontally flipped copies when the cache has them (random choice per sample
            would need a transform; here both copies are separate samples).
    """

    def __init__(self, cache_dir: str, projector: Optional[dict] = None, image_size: Optional[int] = None,
                 use_flips: bool = True, pipeline: Sequence = (), **kwargs) -> None:  # fmt: skip
        self.cache_dir, self.expected_projector = cache_dir, projector
        self.image_size, self.use_flips = image_size, use_flips
        self.manifest = read_manifest(cache_dir)
        self._check_manifest()
        super().__init__(pipeline=list(pipeline), **kwargs)

    def _check_manifest(self) -> None:
        m = self.manifest
        where = osp.join(self.cache_dir, MANIFEST)
        if not m.get('complete'):
            raise RuntimeError(
                f'latent cache {self.cache_dir} is incomplete; rerun tools/cache_latents.py to finish it'
            )
        if self.expected_projector is not None:
            want = projector_identity(self.expected_projector)
            for key in ('type', 'checkpoint_sha256', 'settings'):
                if m['projector'].get(key) != want[key]:
                    raise ValueError(
                        f'latent cache {where} was made with projector {key}={m["projector"].get(key)!r}, but the '
                        f'config asks for {want[key]!r}; rebuild the cache with tools/cache_latents.py'
                    )
        if self.image_size is not None and m['image_size'] != self.image_size:
            raise ValueError(f'latent cache {where} holds {m["image_size"]}px images, the config wants '
                             f'{self.image_size}px; rebuild the cache')  # fmt: skip

    def load_data_list(self) -> List[dict]:
        # One tensor per field for the whole cache; records only index into it. (Per-record tensor views would
        # each pickle their whole shard when MMEngine serialises the data list.)
        fields, parts, labels, flipped = self.manifest['fields'], {}, [], []
        for shard in self.manifest['shards']:
            data = torch.load(osp.join(self.cache_dir, shard['file']), weights_only=True)
            for k in fields:
                parts.setdefault(k, []).append(data[k])
            labels.append(data['gt_label'])
            flipped.append(
                data['flipped'] if 'flipped' in data else torch.zeros(len(data['gt_label']), dtype=torch.bool)
            )
        self.fields = {k: torch.cat(v) for k, v in parts.items()}
        labels, flipped = torch.cat(labels).tolist(), torch.cat(flipped).tolist()
        return [dict(row=i, gt_label=int(label), flipped=bool(flip))
                for i, (label, flip) in enumerate(zip(labels, flipped)) if self.use_flips or not flip]  # fmt: skip

    def prepare_data(self, idx: int) -> dict:
        info = self.get_data_info(idx)
        record = {k: v[info['row']] for k, v in self.fields.items()}
        samples = dict(gt_label=torch.tensor(info['gt_label']), sample_idx=torch.tensor(info['sample_idx']))
        return dict(inputs=record, data_samples=samples)


def bind_projector(cfg) -> None:
    """Hand ``model.projector`` to every ``LatentCacheDataset`` of a config that does not name one, so the cache is
    checked against the projector the experiment uses (called by tools/train.py and tools/test.py)."""
    projector = cfg.get('model', {}).get('projector')
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        dataset = loader.get('dataset') if loader else None
        if dataset and dataset.get('type') == 'LatentCacheDataset' and dataset.get('projector') is None:
            dataset['projector'] = projector
