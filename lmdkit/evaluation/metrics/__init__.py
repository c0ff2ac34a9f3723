"""Evaluation metrics (registry ``METRICS``)."""

from .image_quality import CodebookUsageMetric, ImageQualityMetric, psnr, ssim
from .reconstruction import MaskedReconstructionMetric

__all__ = ['CodebookUsageMetric', 'ImageQualityMetric', 'MaskedReconstructionMetric', 'psnr', 'ssim']
