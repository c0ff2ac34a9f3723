"""Algorithms: compositions of projector, backbone, neck and loss (registry ``MODELS``)."""

from .autoencoder import Autoencoder
from .lmd import LMD

__all__ = ['LMD', 'Autoencoder']
