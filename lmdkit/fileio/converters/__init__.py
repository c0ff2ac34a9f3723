"""Key converters between released checkpoint layouts and lmdkit's: official MAE and HF ViTMAE in, diffusers'
AutoencoderKL in, timm ViT out. Pure functions on state dicts."""

from .diffusers_vae import diffusers_to_ldm, is_diffusers_layout
from .hf_vitmae import convert_hf_vitmae, is_hf_vitmae
from .mae_official import convert_mae_official, is_mae_official
from .timm_vit import export_timm_vit

__all__ = [
    'convert_hf_vitmae',
    'convert_mae_official',
    'diffusers_to_ldm',
    'export_timm_vit',
    'is_diffusers_layout',
    'is_hf_vitmae',
    'is_mae_official',
]
