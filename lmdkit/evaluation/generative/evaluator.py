"""One object that turns generated images into FID / sFID / IS / precision-recall / class consistency against a
reference set, for ``tools/eval_gen.py`` and the ``GenerativeMetric`` of validation loops alike."""

import glob
import hashlib
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

from ...fileio import read_npz
from .fid import feature_statistics, frechet_distance
from .inception_score import inception_score
from .precision_recall import precision_recall

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.webp')


def load_captions(path: str, limit: Optional[int] = None) -> Optional[List[str]]:
    """The prompts of text-to-image samples (``captions`` in a ``tools/sample.py`` .npz), or None."""
    if not path.endswith('.npz'):
        return None
    arrays = read_npz(path, ['captions'], what='an .npz of images (arr_0, ADM format)')
    return [str(c) for c in arrays['captions'][:limit]] if 'captions' in arrays else None


def load_prompt_index(path: str, limit: Optional[int] = None) -> Optional[torch.Tensor]:
    """Which prompt of the ``--prompts`` file each text-to-image sample came from (``prompt_index``), or None."""
    if not path.endswith('.npz'):
        return None
    arrays = read_npz(path, ['prompt_index'], what='an .npz of images (arr_0, ADM format)')
    return torch.from_numpy(arrays['prompt_index'][:limit]).long() if 'prompt_index' in arrays else None


def load_images(path: str, limit: Optional[int] = None) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """uint8 (N, C, H, W) images and optional (N,) labels from an ADM-style ``.npz`` (``arr_0`` NHWC uint8,
    ``arr_1`` labels), a folder of images, or a Python config whose ``test_dataloader.dataset`` yields them."""
    if path.endswith('.npz'):
        arrays = read_npz(path, what='an .npz of images (arr_0, ADM format)')
        if 'arr_0' not in arrays:
            raise ValueError(f'{path} holds no images (arr_0); keys: {sorted(arrays)}')
        images = arrays['arr_0'][:limit]
        labels = arrays['arr_1'][:limit] if 'arr_1' in arrays else None
        if images.ndim == 3:
            images = images[..., None]
        return torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(), (
            torch.from_numpy(labels).long() if labels is not None else None
        )
    if osp.isdir(path):
        files = sorted(
            f for f in glob.glob(osp.join(path, '**', '*'), recursive=True) if f.lower().endswith(IMAGE_SUFFIXES)
        )
        if not files:
            raise FileNotFoundError(f'no images ({", ".join(IMAGE_SUFFIXES)}) under {path}')
        arrays = [np.asarray(Image.open(f)) for f in files[:limit]]
        arrays = [a[..., None] if a.ndim == 2 else a for a in arrays]
        return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous(), None
    if path.endswith('.py'):
        from mmengine.config import Config
        from mmengine.registry import DefaultScope

        import lmdkit.datasets  # noqa: F401  (registers the dataset and transform types)
        from lmdkit.registry import DATASETS

        with DefaultScope.overwrite_default_scope('lmdkit'):  # the pipeline's transforms resolve in lmdkit's scope
            dataset = DATASETS.build(Config.fromfile(path).test_dataloader.dataset)
        n = len(dataset) if limit is None else min(limit, len(dataset))
        items = [dataset[i] for i in range(n)]
        labels = [int(it['data_samples'].get('gt_label', -1)) for it in items]
        return torch.stack([it['inputs'] for it in items]), torch.tensor(labels)
    raise ValueError(f'cannot read images from {path!r}: give an .npz, a folder of images or a dataset config (.py)')


class GenerativeEvaluator:
    """Features of a reference set (cached) and of generated images, and the metrics between them.

    Args:
        feature_extractor: a ``FEATURE_EXTRACTORS`` config or module (``InceptionV3FID`` → FID, sFID, IS;
            ``ClassifierFeatures`` → FID-<name> and class consistency).
        ref: reference images or statistics: an ``.npz`` with ``mu``/``sigma`` (and ``mu_s``/``sigma_s``,
            ADM's reference batches) and/or ``arr_0`` images, a folder, or a dataset config (``.py``).
        name: label of the feature network in the results (e.g. 'inception', 'fmnist-convnet').
        stats_cache: folder for the reference features, keyed by reference and feature network (None: no cache).
        k: neighbourhood size of precision/recall (Kynkäänniemi et al.: 3).
        max_ref: use at most this many reference images.
    """

    def __init__(
        self,
        feature_extractor: Union[dict, nn.Module],
        ref: str,
        name: str = 'inception',
        stats_cache: Optional[str] = 'work_dirs/fid_stats',
        k: int = 3,
        batch_size: int = 100,
        max_ref: Optional[int] = None,
        device: Union[str, torch.device] = 'cpu',
    ) -> None:
        from lmdkit.registry import FEATURE_EXTRACTORS

        self.cfg = feature_extractor if isinstance(feature_extractor, dict) else None
        net = FEATURE_EXTRACTORS.build(feature_extractor) if isinstance(feature_extractor, dict) else feature_extractor
        self.net = net.to(device).eval()
        self.ref, self.name, self.stats_cache, self.k = ref, name, stats_cache, k
        self.batch_size, self.max_ref, self.device = batch_size, max_ref, torch.device(device)
        self._ref_stats: Optional[Dict[str, np.ndarray]] = None

    @torch.no_grad()
    def features(self, images: torch.Tensor, progress: bool = False) -> Dict[str, np.ndarray]:
        """Features of uint8 (N, C, H, W) images, batched: ``pool`` and, where the network gives them, ``logits``
        and ``spatial``."""
        bar = None
        if progress:
            from mmengine.utils import ProgressBar

            bar = ProgressBar(len(images))
        out: Dict[str, list] = {}
        for start in range(0, len(images), self.batch_size):
            batch = images[start : start + self.batch_size].to(self.device).float() / 255.0
            for key, value in self.net(batch).items():
                if value is not None:
                    out.setdefault(key, []).append(value.float().cpu().numpy())
            if bar is not None:
                bar.update(len(batch))
        return {k: np.concatenate(v) for k, v in out.items()}

    def _cache_path(self) -> Optional[str]:
        if not self.stats_cache:
            return None
        ref_id = osp.abspath(self.ref)
        if osp.isfile(self.ref):
            ref_id += f':{os.stat(self.ref).st_size}:{int(os.stat(self.ref).st_mtime)}'
        key = json.dumps([ref_id, self.name, self.cfg, self.max_ref], sort_keys=True, default=str)
        digest = hashlib.sha1(key.encode()).hexdigest()[:12]
        return osp.join(
            self.stats_cache, f'{osp.splitext(osp.basename(self.ref.rstrip("/")))[0]}_{self.name}_{digest}.npz'
        )

    def reference(self, progress: bool = False) -> Dict[str, np.ndarray]:
        """Reference statistics (``mu``, ``sigma``, optional ``mu_s``/``sigma_s`` and raw ``pool`` features for
        precision/recall), computed once and cached."""
        if self._ref_stats is not None:
            return self._ref_stats
        cache = self._cache_path()
        if cache and osp.isfile(cache):
            self._ref_stats = read_npz(cache, what='cached reference statistics (delete it to recompute)')
            return self._ref_stats
        stats: Dict[str, np.ndarray] = {}
        has_images = True
        if self.ref.endswith('.npz'):
            stats.update(read_npz(self.ref, ('mu', 'sigma', 'mu_s', 'sigma_s'), 'a reference batch (.npz)'))
            with np.load(self.ref) as f:  # the listing only: arrays are read on access
                has_images = 'arr_0' in f.files
        if has_images:
            images, _ = load_images(self.ref, self.max_ref)
            feats = self.features(images, progress)
            computed = dict(zip(('mu', 'sigma'), feature_statistics(feats['pool'])), pool=feats['pool'])
            if 'spatial' in feats:
                computed.update(zip(('mu_s', 'sigma_s'), feature_statistics(feats['spatial'])))
            computed.update(stats)  # published statistics win over recomputed ones (ADM reference batches)
            stats = computed
        if 'mu' not in stats:
            raise ValueError(f'{self.ref}: neither statistics (mu, sigma) nor images (arr_0)')
        if cache:
            os.makedirs(osp.dirname(cache), exist_ok=True)
            tmp = cache + '.tmp.npz'
            np.savez(tmp, **stats)
            os.replace(tmp, cache)
        self._ref_stats = stats
        return stats

    def evaluate(
        self, images: torch.Tensor, labels: Optional[torch.Tensor] = None, progress: bool = False
    ) -> Dict[str, float]:
        """Metrics of uint8 (N, C, H, W) generated images (and their conditioning labels)."""
        ref = self.reference(progress)
        feats = self.features(images, progress)
        mu, sigma = feature_statistics(feats['pool'])
        res: Dict[str, float] = dict(num_samples=float(len(images)))
        res['fid'] = frechet_distance(mu, sigma, ref['mu'], ref['sigma'])
        if 'spatial' in feats and 'mu_s' in ref:
            res['sfid'] = frechet_distance(*feature_statistics(feats['spatial']), ref['mu_s'], ref['sigma_s'])
        if 'logits' in feats:
            probs = torch.from_numpy(feats['logits']).double().softmax(-1).numpy()
            res['inception_score'], res['inception_score_std'] = inception_score(probs, splits=min(10, len(probs)))
            # only a classifier of the data's own classes can say whether a sample shows its conditioning class
            # (Inception's 1008 TF classes do not line up with dataset labels)
            if labels is not None and bool((labels >= 0).all()) and getattr(self.net, 'predicts_data_labels', False):
                res['class_consistency'] = float((probs.argmax(1) == labels.cpu().numpy()).mean())
        if 'pool' in ref and len(images) > self.k:
            n = min(len(images), len(ref['pool']))  # equal set sizes, as Kynkäänniemi et al.
            res.update(precision_recall(torch.from_numpy(ref['pool'][:n]), torch.from_numpy(feats['pool'][:n]), self.k))
        return res
