"""Evaluation metrics (registry ``METRICS``)."""

from .reconstruction import MaskedReconstructionMetric

__all__ = ['MaskedReconstructionMetric']
