"""Weight interop: official MAE and HF ViTMAE checkpoints in, timm ViT out, and the pretrained-encoder loader."""

from .hf_vitmae import convert_hf_vitmae, is_hf_vitmae
from .mae_official import convert_mae_official, is_mae_official
from .pretrained_encoder import PretrainedEncoderInit, load_encoder_weights, read_lmdkit_state
from .timm_vit import export_timm_vit

__all__ = [
    'PretrainedEncoderInit',
    'convert_hf_vitmae',
    'convert_mae_official',
    'export_timm_vit',
    'is_hf_vitmae',
    'is_mae_official',
    'load_encoder_weights',
    'read_lmdkit_state',
]
