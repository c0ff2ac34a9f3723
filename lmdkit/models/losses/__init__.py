"""Training losses (registry ``MODELS``) and GAN loss functions."""

from .adversarial import adaptive_weight, discriminator_loss, generator_loss
from .cross_entropy import CrossEntropyLoss
from .lpips import LPIPS, lpips_distance
from .masked_l1 import MaskedL1Loss
from .masked_mse import MaskedMSELoss, normalize_patches
from .repa import REPALoss

__all__ = [
    'CrossEntropyLoss',
    'LPIPS',
    'MaskedL1Loss',
    'MaskedMSELoss',
    'REPALoss',
    'lpips_distance',
    'adaptive_weight',
    'discriminator_loss',
    'generator_loss',
    'normalize_patches',
]
