"""Backbones (registry ``MODELS``)."""

from .convnet import ConvNet
from .dit import DIT_ARCHS, DiT
from .greenmim import GreenMIMSwin
from .maskdit import MaskDiT
from .masked_unet import MaskedUNet
from .mdt import MDT
from .reg_dit import REGDiT
from .simmim import SimMIMSwin, SimMIMViT
from .sprint_dit import SprintDiT
from .ummae import UMMAEViT
from .ummae_swin import UMMAESwin
from .unet import UNet
from .vit_mae import VIT_ARCHS, MAEViT

__all__ = [
    'ConvNet',
    'DIT_ARCHS',
    'VIT_ARCHS',
    'DiT',
    'GreenMIMSwin',
    'MAEViT',
    'MaskDiT',
    'MDT',
    'REGDiT',
    'MaskedUNet',
    'SimMIMSwin',
    'SimMIMViT',
    'SprintDiT',
    'UMMAESwin',
    'UMMAEViT',
    'UNet',
]
