"""Models: algorithms and the registered parts they are composed of."""

from . import algorithms, backbones, data_preprocessors, discriminators, losses, mask_schedulers, necks, projectors  # noqa: F401
from .algorithms import LMD, Autoencoder
from .backbones import MAEViT
from .discriminators import PatchDiscriminator
from .necks import MAEPretrainDecoder
from .projectors import AutoencoderKLProjector, BaseProjector, IdentityProjector, VQGANProjector

__all__ = [
    'LMD',
    'Autoencoder',
    'AutoencoderKLProjector',
    'BaseProjector',
    'IdentityProjector',
    'MAEPretrainDecoder',
    'MAEViT',
    'PatchDiscriminator',
    'VQGANProjector',
]
