"""Teachers (registry ``TEACHERS``): frozen encoders whose patch features REPA aligns a denoiser's tokens to, and
whose class token REG entangles with the latents."""

from .base import BaseTeacher, TeacherFeatures
from .dinov2 import DINOv2Teacher
from .lmdkit_encoder import LmdkitEncoderTeacher
from .timm_vit import TimmViTTeacher

__all__ = ['BaseTeacher', 'TeacherFeatures', 'DINOv2Teacher', 'LmdkitEncoderTeacher', 'TimmViTTeacher']
