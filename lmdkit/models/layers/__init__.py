"""Building blocks shared by backbones: position embeddings, patchify, masking, init helpers."""

from .attention import Attention, RelPosAttention, dot_product_attention
from .conv_autoencoder import AttnBlock, Decoder, Downsample, Encoder, ResnetBlock, Upsample
from .embedders import LabelEmbedder, TimestepEmbedder, timestep_embedding
from .init import init_vit_weights
from .masking import dropped_tokens, num_kept, random_masking
from .patch_embed import PatchEmbed
from .patchify import patch_mask_to_image, patchify, unpatchify
from .pos_embed import get_2d_sincos_pos_embed, resize_pos_embed, sincos_1d
from .text_conditioning import Context, CrossAttention, TextEmbedder, TextEmbedding, cat_text, text_context
from .vector_quantizer import VectorQuantizer

__all__ = [
    'Context',
    'CrossAttention',
    'TextEmbedder',
    'TextEmbedding',
    'cat_text',
    'text_context',
    'Attention',
    'RelPosAttention',
    'dot_product_attention',
    'dropped_tokens',
    'AttnBlock',
    'Decoder',
    'Downsample',
    'Encoder',
    'LabelEmbedder',
    'ResnetBlock',
    'TimestepEmbedder',
    'Upsample',
    'VectorQuantizer',
    'get_2d_sincos_pos_embed',
    'init_vit_weights',
    'num_kept',
    'PatchEmbed',
    'patch_mask_to_image',
    'patchify',
    'random_masking',
    'resize_pos_embed',
    'sincos_1d',
    'timestep_embedding',
    'unpatchify',
]
