"""lmdkit: fast image-model training by masking in latent space (LMD, MAE, ...) on MMEngine."""

from .version import __version__

__all__ = ['__version__']
