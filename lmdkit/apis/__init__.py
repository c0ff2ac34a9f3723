"""High-level Python API."""

from .export import export_pretrained
from .inference import classify, init_model, reconstruct
from .latent_cache import cache_pipeline, write_latent_cache
from .setup_env import register_all_modules

__all__ = [
    'cache_pipeline',
    'classify',
    'export_pretrained',
    'init_model',
    'reconstruct',
    'register_all_modules',
    'write_latent_cache',
]
