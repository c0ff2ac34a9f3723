"""Evaluation metrics (registry ``METRICS``)."""

from .accuracy import Accuracy, topk_accuracy
from .diffusion_loss import DiffusionLossMetric
from .generative import GenerativeMetric
from .image_quality import CodebookUsageMetric, ImageQualityMetric, psnr, ssim
from .reconstruction import MaskedReconstructionMetric

__all__ = [
    'Accuracy',
    'CodebookUsageMetric',
    'DiffusionLossMetric',
    'GenerativeMetric',
    'ImageQualityMetric',
    'MaskedReconstructionMetric',
    'psnr',
    'ssim',
    'topk_accuracy',
]
