"""Training losses (registry ``MODELS``)."""

from .masked_mse import MaskedMSELoss, normalize_patches

__all__ = ['MaskedMSELoss', 'normalize_patches']
