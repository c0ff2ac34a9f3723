"""Frozen image <-> latent projectors (registry ``MODELS``)."""

from .autoencoder_kl import AutoencoderKLProjector
from .base import BaseProjector
from .builder import build_frozen_projector, check_latent_channels
from .identity import IdentityProjector
from .vqgan import VQGANProjector

__all__ = [
    'AutoencoderKLProjector',
    'BaseProjector',
    'IdentityProjector',
    'VQGANProjector',
    'build_frozen_projector',
    'check_latent_channels',
]
