"""Validation diffusion loss at fixed per-sample timesteps and noise: a noise-free learning curve."""

from typing import List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from lmdkit.registry import METRICS


@METRICS.register_module()
class DiffusionLossMetric(BaseMetric):
    """Mean ``diffusion_mse`` over the evaluation set, from ``MaskedDiffusion.predict`` (the training target's MSE
    at timesteps and noise drawn once per sample, so checkpoints are compared on identical draws)."""

    default_prefix = 'diffusion'

    def __init__(self, collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        self.results.extend(float(d['diffusion_mse']) for d in data_samples)

    def compute_metrics(self, results: List[float]) -> dict:
        return dict(mse=float(np.mean(results)))
