"""Necks: modules between a backbone and its loss, e.g. MAE's pretraining decoder (registry ``MODELS``)."""

from .mae_decoder import MAEPretrainDecoder

__all__ = ['MAEPretrainDecoder']
