"""Frozen image <-> latent projectors (registry ``MODELS``)."""

from .autoencoder_kl import AutoencoderKLProjector
from .base import BaseProjector
from .identity import IdentityProjector
from .vqgan import VQGANProjector

__all__ = ['AutoencoderKLProjector', 'BaseProjector', 'IdentityProjector', 'VQGANProjector']
