"""Models: algorithms and the registered parts they are composed of."""

from . import algorithms, backbones, losses, mask_schedulers, necks, projectors  # noqa: F401  (registration)
from .algorithms import LMD
from .backbones import MAEViT
from .necks import MAEPretrainDecoder
from .projectors import BaseProjector, IdentityProjector

__all__ = ['LMD', 'BaseProjector', 'IdentityProjector', 'MAEPretrainDecoder', 'MAEViT']
