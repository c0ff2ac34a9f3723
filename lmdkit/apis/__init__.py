"""High-level Python API."""

from .inference import init_model, reconstruct

__all__ = ['init_model', 'reconstruct']
