"""Sample quality inside validation/test loops: the model generates during ``predict`` (with the EMA weights when
EMAHook is on), this metric scores the samples against a reference set."""

from typing import List, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric

from lmdkit.registry import METRICS


@METRICS.register_module()
class GenerativeMetric(BaseMetric):
    """FID (and sFID, IS, precision/recall, class consistency where the feature network allows) of the samples
    that ``MaskedDiffusion.predict`` returns as ``gen_image`` when its ``val_sampling`` is set.

    Args:
        feature_extractor: ``FEATURE_EXTRACTORS`` config (built at the first evaluation, not with the config).
        ref: reference set (see ``GenerativeEvaluator``: ``.npz``, folder or dataset config).
        name: label of the feature network; results are ``gen/<name>/fid`` etc.
        stats_cache, k, batch_size, max_ref: as ``GenerativeEvaluator``.
        device: where the feature network runs (default: CUDA when available).
    """

    default_prefix = 'gen'

    def __init__(
        self,
        feature_extractor: dict,
        ref: str,
        name: str = 'inception',
        stats_cache: Optional[str] = 'work_dirs/fid_stats',
        k: int = 3,
        batch_size: int = 100,
        max_ref: Optional[int] = None,
        device: Optional[str] = None,
        collect_device: str = 'cpu',
        prefix: Optional[str] = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
        self.kwargs = dict(feature_extractor=feature_extractor, ref=ref, name=name, stats_cache=stats_cache, k=k,
                           batch_size=batch_size, max_ref=max_ref, device=device)  # fmt: skip
        self.name = name
        self._evaluator = None

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'gen_image' in sample:
                self.results.append((sample['gen_image'].cpu(), int(sample.get('gen_label', -1))))

    def compute_metrics(self, results: List[tuple]) -> dict:
        if not results:
            raise ValueError('GenerativeMetric got no samples: set the model’s val_sampling so predict() generates')
        if self._evaluator is None:
            from ..generative.evaluator import GenerativeEvaluator

            self._evaluator = GenerativeEvaluator(**self.kwargs)
        images = torch.stack([r[0] for r in results])
        labels = torch.tensor([r[1] for r in results])
        scores = self._evaluator.evaluate(images, labels if bool((labels >= 0).all()) else None)
        return {f'{self.name}/{k}': v for k, v in scores.items()}
