"""High-level Python API."""

from .inference import classify, init_model, reconstruct

__all__ = ['classify', 'init_model', 'reconstruct']
