"""High-level Python API."""

from .export import export_pretrained
from .inference import classify, init_model, reconstruct
from .latent_cache import cache_pipeline, write_latent_cache
from .setup_env import load_program_config, register_all_modules, setup_process

__all__ = [
    'cache_pipeline',
    'classify',
    'export_pretrained',
    'init_model',
    'load_program_config',
    'reconstruct',
    'register_all_modules',
    'setup_process',
    'write_latent_cache',
]
