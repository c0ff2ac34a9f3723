"""Masked-reconstruction error at a fixed mask ratio, raw and normalised by the target variance."""

from typing import List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from lmdkit.registry import METRICS


@METRICS.register_module()
class MaskedReconstructionMetric(BaseMetric):
    """Mean masked-patch MSE over the set (``mse``) and ``nmse`` = Σ MSE / Σ Var(target): comparable across pixel
    and latent spaces. Consumes the ``mse`` / ``target_var`` entries that ``LMD.predict`` returns."""

    default_prefix = 'recon'

    def __init__(self, collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        self.results.extend((float(d['mse']), float(d['target_var'])) for d in data_samples)

    def compute_metrics(self, results: List[tuple]) -> dict:
        mse, var = np.asarray(results, dtype=np.float64).T
        return dict(mse=float(mse.mean()), nmse=float(mse.sum() / max(var.sum(), 1e-12)))
