"""Metrics for evaluation loops and the training-efficiency numbers of a run."""

from .efficiency import efficiency_metrics, ema_smooth
from .metrics import MaskedReconstructionMetric

__all__ = ['MaskedReconstructionMetric', 'efficiency_metrics', 'ema_smooth']
