"""Metrics for evaluation loops and the training-efficiency numbers of a run."""

from .efficiency import efficiency_metrics, mat_at_k
from .metrics import Accuracy, MaskedReconstructionMetric

__all__ = ['Accuracy', 'MaskedReconstructionMetric', 'efficiency_metrics', 'mat_at_k']
