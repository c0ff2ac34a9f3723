"""Text encoders (registry ``TEXT_ENCODERS``): captions -> per-token states, mask and a pooled vector, for
text-to-image training (LMD Table 4)."""

from .base import BaseTextEncoder, TextEmbedding, batch_captions, drop_captions, masked_mean
from .byte_transformer import ByteTextEncoder
from .clip_text import CLIPTextEncoder
from .t5 import T5TextEncoder

__all__ = [
    'BaseTextEncoder',
    'ByteTextEncoder',
    'CLIPTextEncoder',
    'T5TextEncoder',
    'TextEmbedding',
    'batch_captions',
    'drop_captions',
    'masked_mean',
]
