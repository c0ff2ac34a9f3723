"""High-level Python API."""

from .inference import classify, init_model, reconstruct
from .latent_cache import cache_pipeline, write_latent_cache

__all__ = ['cache_pipeline', 'classify', 'init_model', 'reconstruct', 'write_latent_cache']
