"""Latents encoded once by a projector and read back, memory-mapped, instead of images (written by
``lmdkit.apis.write_latent_cache`` / ``tools/cache_latents.py``).

Layout of a cache folder (format 2)::

    manifest.json                   projector type, settings and weights sha256, image size, dataset, views,
                                    fields, shards, skipped images (path and reason), latent statistics, complete
    shard_00000.<field>.npy         (rows, views, *shape) per cache field, e.g. mean / logvar (KL) or indices (VQ);
                                    views = [image, its horizontal flip] with --flip, else [image]; with
                                    --teacher also teacher_cls (D) and teacher_patches (h, w, D): the alignment
                                    teacher's features of each view (manifest ``teacher``: its identity)
    shard_00000.gt_label.npy        (rows,) labels;  shard_00000.index.npy: (rows,) index in the source dataset
    shard_00000.caption.json        a caption dataset's: each row's caption (manifest ``captions``), served as
                                    ``data_samples['caption']`` to text-conditioned models
    shard_00000.text_<part>.npy     with --text, a frozen text encoder's embedding of each row's caption (one per
                                    row, not per view): text_tokens (rows, L, D), text_mask (rows, L) bool,
                                    text_pooled (rows, D) (manifest ``text``: the encoder's identity and fields)
    shard_00000.json                the shard's completion marker (rows, skipped images, statistics)

Fields are plain ``.npy`` arrays, opened with ``numpy.load(mmap_mode='r')``: a training process reads the rows it
serves and never holds the cache (ImageNet at 28×28×4, two views, mean and log-variance in fp16: about 32 GB).
"""

import functools
import hashlib
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.dataset import BaseDataset

from lmdkit.registry import DATASETS

from ..fileio import MODEL_WEIGHTS, load_npy, resolve_path

MANIFEST = 'manifest.json'
_SHARD = 'a latent-cache shard (rebuild the cache with tools/cache_latents.py)'
FORMAT_VERSION = 2
DIFFUSERS_WEIGHTS = ('diffusion_pytorch_model.safetensors', 'diffusion_pytorch_model.bin')
#: projector settings that change what a cache stores (scaling and posterior sampling are applied when reading)
STORED_SETTINGS = ('quantize_latents', 'latent_channels', 'embed_dim', 'num_codes')
#: the cache fields of a teacher's features (``BaseTeacher.features``: class token, patch map on its own grid)
TEACHER_FIELDS = ('teacher_cls', 'teacher_patches')
#: the per-row fields of a frozen text encoder's caption embedding (``TextEmbedding``: tokens, mask, pooled)
TEXT_FIELDS = ('text_tokens', 'text_mask', 'text_pooled')


#: Hugging Face index files of weights saved in shards (large T5 and CLIP folders)
SHARD_INDEXES = ('model.safetensors.index.json', 'pytorch_model.bin.index.json')


def file_sha256(path: Optional[str]) -> Optional[str]:
    """sha256 of a weights file, or of a diffusers, Hugging Face or exported model folder's weights: its weights
    file, or its shard index followed by every shard it names (None for projectors without weights)."""
    if not path:
        return None
    path = resolve_path(path)
    if not osp.isdir(path):
        return _sha256_of_files((path,))
    names = (*DIFFUSERS_WEIGHTS, MODEL_WEIGHTS, 'pytorch_model.bin')  # the last: older Hugging Face folders
    found = [osp.join(path, n) for n in names if osp.isfile(osp.join(path, n))]
    if found:
        return _sha256_of_files((found[0],))
    index = next((osp.join(path, n) for n in SHARD_INDEXES if osp.isfile(osp.join(path, n))), None)
    if index is None:
        raise FileNotFoundError(f'{path} is a folder without {" or ".join(names + SHARD_INDEXES)}')
    with open(index) as f:
        shards = sorted(set(json.load(f)['weight_map'].values()))
    return _sha256_of_files((index, *(osp.join(path, s) for s in shards)))


def _sha256_of_files(paths: Sequence[str]) -> str:
    """One digest over the files' bytes in order; remembered per (path, size, mtime) in this process, since every
    dataset built (train, val, test, each rank) checks the same gigabytes of weights."""
    return _sha256_cached(tuple((p, os.stat(p).st_size, os.stat(p).st_mtime_ns) for p in paths))


@functools.lru_cache(maxsize=64)
def _sha256_cached(files: Tuple[Tuple[str, int, int], ...]) -> str:
    h = hashlib.sha256()
    for path, _, _ in files:
        with open(path, 'rb') as f:
            for chunk in iter(lambda f=f: f.read(1 << 20), b''):
                h.update(chunk)
    return h.hexdigest()


def read_manifest(cache_dir: str) -> dict:
    path = osp.join(cache_dir, MANIFEST)
    if not osp.isfile(path):
        raise FileNotFoundError(f'no latent cache at {cache_dir} (missing {MANIFEST}); create it with '
                                'tools/cache_latents.py CONFIG --out DIR')  # fmt: skip
    with open(path) as f:
        manifest = json.load(f)
    if manifest.get('version') != FORMAT_VERSION:
        raise ValueError(f'{path}: cache format {manifest.get("version", 1)}, this lmdkit reads format '
                         f'{FORMAT_VERSION} (memory-mapped .npy shards); rebuild it with '
                         'tools/cache_latents.py')  # fmt: skip
    return manifest


def projector_identity(projector_cfg: dict) -> dict:
    """The projector facts a cache must match: type, weights hash and the settings that change what it stores."""
    return dict(
        type=projector_cfg.get('type'),
        checkpoint_sha256=file_sha256(projector_cfg.get('checkpoint')),
        settings={k: projector_cfg[k] for k in STORED_SETTINGS if k in projector_cfg},
    )


def component_identity(cfg: dict) -> dict:
    """The facts that cached outputs of a frozen network (an alignment teacher, a text encoder) must match: its
    type, weights hash (``checkpoint``: a file or a model folder) and every other setting of its config."""
    settings = {k: v for k, v in cfg.items() if k not in ('type', 'checkpoint')}
    return dict(
        type=cfg.get('type'),
        checkpoint_sha256=file_sha256(cfg.get('checkpoint')),
        settings=json.loads(json.dumps(settings, sort_keys=True)),  # tuples become lists, as in the manifest
    )


def item_rng(seed: int, epoch: int, index: int) -> np.random.Generator:
    """The generator of one item's randomness in one epoch: a function of (seed, epoch, index) only."""
    return np.random.default_rng([seed, epoch, index])


@DATASETS.register_module()
class LatentCacheDataset(BaseDataset):
    """Serves cached latents: ``inputs`` is the projector's cache record (``indices`` for a VQGAN, ``mean``/
    ``logvar`` for a KL autoencoder, plus ``eps`` when the projector samples its posterior), ``data_samples``
    holds ``gt_label`` and ``sample_idx``.

    A cache written with ``--teacher`` also serves ``teacher_cls``/``teacher_patches`` in ``inputs`` when the
    experiment aligns to that same teacher (``teacher``), which then reads them instead of running. One written with
    ``--text`` serves ``text_tokens``/``text_mask``/``text_pooled`` in ``data_samples`` when the experiment's text
    encoder is that same frozen one (``text_encoder``), which then reads them instead of encoding the captions.

    Each item's randomness — which view (image or its flip) and the posterior noise ``eps`` — is drawn from
    (seed, epoch, index). Keys are an index, or ``(index, epoch)`` from ``EpochInfiniteSampler`` (an index alone
    means epoch 0: the same view and noise every time, as evaluation wants).

    Args:
        cache_dir: folder written by ``tools/cache_latents.py``.
        projector: the experiment's projector config: a cache made by another projector type, other weights or
            other stored settings is refused (naming both hashes); its ``sample_posterior`` decides whether items
            carry posterior noise (training, ``lmdkit.apis.train``, fills it from ``model.projector``).
        image_size: the image size the experiment expects; a cache made at another size is refused.
        teacher: the experiment's alignment teacher config (training fills it from ``model.alignment.teacher``):
            cached teacher features are served only for it, and features of another teacher type, weights or
            settings are refused; None or False (kept by training: the teacher runs itself): not served.
        text_encoder: the experiment's text encoder config (training fills it from ``model.text_encoder``), the
            same way: cached caption embeddings are served only for it; None or False: not served.
        use_flips: draw the flipped view half of the time when the cache has one.
        seed: seed of the per-item draws (training, ``lmdkit.apis.train``, fills it from ``randomness.seed``).
        indices: serve only the first ``indices`` items (an int), as MMEngine datasets do.
    """

    def __init__(self, cache_dir: str, projector: Optional[dict] = None, image_size: Optional[int] = None,
                 use_flips: bool = True, seed: int = 0, indices: Optional[int] = None, pipeline: Sequence = (),
                 teacher: Optional[dict] = None, text_encoder: Optional[dict] = None,
                 **kwargs) -> None:  # fmt: skip
        self.cache_dir, self.expected_projector, self.expected_teacher = cache_dir, projector, teacher
        self.expected_text_encoder = text_encoder
        self.image_size, self.use_flips, self.seed = image_size, use_flips, int(seed)
        self.sample_posterior = bool((projector or {}).get('sample_posterior', False))
        self.manifest = read_manifest(cache_dir)
        self._check_manifest()
        self._arrays: Optional[Dict[str, List[np.ndarray]]] = None  # opened lazily in each process
        self._text_arrays: Optional[Dict[str, List[np.ndarray]]] = None
        if indices is not None and not isinstance(indices, int):
            raise TypeError(f'LatentCacheDataset: indices must be an int (the first n items), got {indices!r}')
        self._limit = indices
        super().__init__(pipeline=list(pipeline), lazy_init=True, **kwargs)
        self.full_init()

    # ------------------------------------------------------------------ manifest
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
                        f'config asks for {want[key]!r} (projector.checkpoint='
                        f'{self.expected_projector.get("checkpoint")}); rebuild the cache with '
                        'tools/cache_latents.py, or point the config at the weights the cache was made with'
                    )
        cached = m.get('teacher')
        if cached is not None and self.expected_teacher:
            want = component_identity(self.expected_teacher)
            changed = [k for k in ('type', 'checkpoint_sha256', 'settings') if cached.get(k) != want[k]]
            if changed:
                details = '; '.join(f'{k}: {cached.get(k)!r} cached, {want[k]!r} asked' for k in changed)
                raise ValueError(f'latent cache {where} holds the features of another teacher than '
                                 f'model.alignment.teacher ({details}); rebuild it with tools/cache_latents.py '
                                 'CONFIG --teacher, or align to the cached teacher')  # fmt: skip
        cached = m.get('text')
        if cached is not None and self.expected_text_encoder:
            want = component_identity(self.expected_text_encoder)
            changed = [k for k in ('type', 'checkpoint_sha256', 'settings') if cached['encoder'].get(k) != want[k]]
            if changed:
                details = '; '.join(f'{k}: {cached["encoder"].get(k)!r} cached, {want[k]!r} asked' for k in changed)
                raise ValueError(f'latent cache {where} holds caption embeddings of another text encoder than '
                                 f'model.text_encoder ({details}); rebuild it with tools/cache_latents.py CONFIG '
                                 '--text, or set the dataset\'s text_encoder=False to encode captions in the '
                                 'step')  # fmt: skip
        if self.image_size is not None and m['image_size'] != self.image_size:
            raise ValueError(f'latent cache {where} holds {m["image_size"]}px images, the config wants '
                             f'{self.image_size}px; rebuild the cache')  # fmt: skip

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        shards = self.manifest['shards']
        self._starts = np.cumsum([0] + [s['rows'] for s in shards])  # first global row of each shard
        self._labels = np.concatenate(
            [load_npy(osp.join(self.cache_dir, f'{s["name"]}.gt_label.npy'), what=_SHARD) for s in shards]
        ).astype(np.int64)  # 8 bytes per image: small enough to hold
        self._captions = None
        if self.manifest.get('captions'):  # a caption dataset's cache: its captions, held (tens of bytes each)
            self._captions = []
            for s in shards:
                with open(osp.join(self.cache_dir, f'{s["name"]}.caption.json'), encoding='utf-8') as f:
                    self._captions += json.load(f)
        self._fully_initialized = True

    def load_data_list(self) -> List[dict]:  # not used: rows are located by arithmetic, not a list of dicts
        return []

    def __len__(self) -> int:
        total = int(self._starts[-1])
        return min(total, self._limit) if self._limit is not None else total

    @property
    def fields(self) -> Dict[str, dict]:
        """The fields an item serves: the projector's, and the teacher's features when the experiment's teacher
        is the cached one."""
        serve_teacher = bool(self.expected_teacher) and self.manifest.get('teacher') is not None
        return {k: v for k, v in self.manifest['fields'].items() if serve_teacher or k not in TEACHER_FIELDS}

    @property
    def serves_text(self) -> bool:
        """Whether items carry cached caption embeddings: the cache has them and the experiment's text encoder is
        the cached one (checked at construction)."""
        return bool(self.expected_text_encoder) and self.manifest.get('text') is not None

    def _open_text(self) -> Dict[str, List[np.ndarray]]:
        if self._text_arrays is None:
            self._text_arrays = {
                k: [load_npy(osp.join(self.cache_dir, f'{s["name"]}.{k}.npy'), 'r', _SHARD)
                    for s in self.manifest['shards']]
                for k in TEXT_FIELDS
            }  # fmt: skip
        return self._text_arrays

    def _open(self) -> Dict[str, List[np.ndarray]]:
        """Memory-map every field of every shard (per process: maps are not pickled to dataloader workers)."""
        if self._arrays is None:
            self._arrays = {
                k: [load_npy(osp.join(self.cache_dir, f'{s["name"]}.{k}.npy'), 'r', _SHARD)
                    for s in self.manifest['shards']]
                for k in self.fields
            }  # fmt: skip
        return self._arrays

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state['_arrays'] = state['_text_arrays'] = None
        return state

    def _locate(self, idx: int) -> Tuple[int, int]:
        if not 0 <= idx < len(self):
            raise IndexError(f'LatentCacheDataset: index {idx} out of range for {len(self)} items')
        shard = int(np.searchsorted(self._starts, idx, side='right')) - 1
        return shard, idx - int(self._starts[shard])

    def get_data_info(self, idx: int) -> dict:
        info = dict(gt_label=int(self._labels[idx]), sample_idx=idx)
        if self._captions is not None:
            info['caption'] = self._captions[idx]
        return info

    # ------------------------------------------------------------------ items
    def prepare_data(self, idx: int, epoch: int = 0) -> dict:
        shard, row = self._locate(idx)
        rng = item_rng(self.seed, epoch, idx)
        views = self.manifest['views']
        view = int(rng.integers(views)) if self.use_flips and views > 1 else 0
        record = {k: torch.from_numpy(np.array(arrays[shard][row, view])) for k, arrays in self._open().items()}
        if self.sample_posterior and 'logvar' in record:
            record['eps'] = torch.from_numpy(rng.standard_normal(record['logvar'].shape, dtype=np.float32))
        samples = dict(gt_label=torch.tensor(int(self._labels[idx])), sample_idx=torch.tensor(idx))
        if self._captions is not None:
            samples['caption'] = self._captions[idx]
        if self.serves_text:
            samples.update({k: torch.from_numpy(np.array(a[shard][row])) for k, a in self._open_text().items()})
        return dict(inputs=record, data_samples=samples)

    def __getitem__(self, key: Union[int, Tuple[int, int]]) -> dict:
        idx, epoch = key if isinstance(key, tuple) else (key, 0)
        return self.prepare_data(int(idx), int(epoch))


def bind_projector(cfg) -> None:
    """Hand ``model.projector``, ``model.alignment.teacher``, ``model.text_encoder`` and ``randomness.seed`` to every
    ``LatentCacheDataset`` of a config that does not name them, so the cache is checked against the projector (and
    cached teacher features and caption embeddings against the teacher and text encoder) the experiment uses and
    draws follow the run's seed (called by the training program, lmdkit.apis.train, and tools/test.py)."""
    projector = cfg.get('model', {}).get('projector')
    teacher = (cfg.get('model', {}).get('alignment') or {}).get('teacher')
    text_encoder = cfg.get('model', {}).get('text_encoder')
    seed = (cfg.get('randomness') or {}).get('seed')
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        dataset = loader.get('dataset') if loader else None
        if dataset and dataset.get('type') == 'LatentCacheDataset':
            if dataset.get('projector') is None:
                dataset['projector'] = projector
            if dataset.get('seed') is None and seed is not None:
                dataset['seed'] = seed
            if dataset.get('teacher') is None and teacher is not None:
                dataset['teacher'] = teacher
            if dataset.get('text_encoder') is None and text_encoder is not None:
                dataset['text_encoder'] = text_encoder
