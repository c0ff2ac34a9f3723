"""Frozen image <-> latent projectors (registry ``MODELS``)."""

from .base import BaseProjector
from .identity import IdentityProjector

__all__ = ['BaseProjector', 'IdentityProjector']
