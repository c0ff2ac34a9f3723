"""Teachers (registry ``TEACHERS``): frozen encoders whose patch features REPA aligns a denoiser's tokens to."""

from .base import BaseTeacher
from .dinov2 import DINOv2Teacher
from .lmdkit_encoder import LmdkitEncoderTeacher
from .timm_vit import TimmViTTeacher

__all__ = ['BaseTeacher', 'DINOv2Teacher', 'LmdkitEncoderTeacher', 'TimmViTTeacher']
