"""Necks: modules between a backbone and its loss, e.g. MAE's pretraining decoder (registry ``MODELS``)."""

from .mae_decoder import MAEPretrainDecoder
from .simmim_decoder import SimMIMLinearDecoder

__all__ = ['MAEPretrainDecoder', 'SimMIMLinearDecoder']
