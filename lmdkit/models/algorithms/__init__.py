"""Algorithms: compositions of projector, backbone, neck and loss (registry ``MODELS``)."""

from .autoencoder import Autoencoder
from .classifier import ImageClassifier
from .lmd import LMD
from .masked_diffusion import MaskedDiffusion

__all__ = ['LMD', 'Autoencoder', 'ImageClassifier', 'MaskedDiffusion']
