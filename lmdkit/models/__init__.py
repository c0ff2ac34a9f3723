"""Models: algorithms and the registered parts they are composed of."""

from . import (  # noqa: F401
    algorithms,
    backbones,
    data_preprocessors,
    discriminators,
    heads,
    initializers,
    losses,
    mask_schedulers,
    necks,
    projectors,
    teachers,
    text_encoders,
    token_plans,
)
from .algorithms import LMD, Autoencoder, ImageClassifier, MaskedDiffusion
from .backbones import DiT, MAEViT
from .discriminators import PatchDiscriminator
from .heads import LinearClsHead
from .necks import MAEPretrainDecoder
from .projectors import AutoencoderKLProjector, BaseProjector, IdentityProjector, VQGANProjector

__all__ = [
    'LMD',
    'Autoencoder',
    'AutoencoderKLProjector',
    'BaseProjector',
    'DiT',
    'IdentityProjector',
    'ImageClassifier',
    'LinearClsHead',
    'MAEPretrainDecoder',
    'MAEViT',
    'MaskedDiffusion',
    'PatchDiscriminator',
    'VQGANProjector',
]
