"""T5's encoder (PixArt-α's and Imagen's text conditioning: T5-XXL, 120 tokens, masked cross-attention)."""

from typing import Dict, Union

import torch

from lmdkit.registry import TEXT_ENCODERS

from .base import TextEmbedding, masked_mean
from .hf_folder import HFTextEncoder

TOKENIZER_FILES = (('tokenizer.json',), ('spiece.model',))
# T5 v1.1 encoders (transformers T5Config): gated GELU, untied embeddings
T5_ARCHS: Dict[str, dict] = {
    't5-v1_1-xxl': dict(d_model=4096, d_kv=64, d_ff=10240, num_layers=24, num_heads=64),  # PixArt-α, Imagen
    't5-v1_1-base': dict(d_model=768, d_kv=64, d_ff=2048, num_layers=12, num_heads=12),
}
COMMON = dict(vocab_size=32128, feed_forward_proj='gated-gelu', tie_word_embeddings=False, pad_token_id=0,
              eos_token_id=1, decoder_start_token_id=0)  # fmt: skip
CHECKED = ('d_model', 'd_kv', 'd_ff', 'num_layers', 'num_heads', 'vocab_size', 'feed_forward_proj')
EXAMPLE = 'google/t5-v1_1-xxl (PixArt-α: DeepFloyd/t5-v1_1-xxl)'


@TEXT_ENCODERS.register_module()
class T5TextEncoder(HFTextEncoder):
    """``transformers.T5EncoderModel`` of size ``arch``; weights and tokenizer from the local folder ``checkpoint``
    (as ``CLIPTextEncoder``: building needs no files, ``init_weights`` reads the weights, the tokenizer is read on
    first use).

    Captions are padded to ``max_length`` (PixArt-α: 120) and encoded with their attention mask; ``tokens`` is the
    final hidden state, ``mask`` the attention mask (cross-attention uses it: T5's padding states are not inert),
    ``pooled`` the mean of the real tokens' states (T5 has no pooled token).

    Args:
        checkpoint: the folder (``config.json``, weights, ``tokenizer.json`` or ``spiece.model``).
        arch: 't5-v1_1-xxl', 't5-v1_1-base', or a dict of ``T5Config`` arguments.
        tokenizer_dir: the tokenizer folder when it is separate.
        max_length: padded length.
        frozen: no gradients (PixArt-α, Imagen).
    """

    model_class = 'T5EncoderModel'
    tokenizer_class = 'AutoTokenizer'
    checked = CHECKED
    tokenizer_files = TOKENIZER_FILES
    example = EXAMPLE

    def __init__(self, checkpoint: str, arch: Union[str, dict] = 't5-v1_1-xxl', tokenizer_dir: str = '',
                 max_length: int = 120, frozen: bool = True) -> None:  # fmt: skip
        super().__init__(checkpoint, tokenizer_dir, max_length, frozen)
        tf = self._transformers()
        if isinstance(arch, str) and arch not in T5_ARCHS:
            raise ValueError(f'unknown T5 arch {arch!r}: choose one of {sorted(T5_ARCHS)} or pass a dict of '
                             'T5Config arguments')  # fmt: skip
        self.model = tf.T5EncoderModel(tf.T5Config(**{**COMMON, **(T5_ARCHS[arch] if isinstance(arch, str) else arch)}))
        self.dim = self.model.config.d_model
        if frozen:
            self.freeze()

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> TextEmbedding:
        tokens = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.bool()
        return TextEmbedding(tokens=tokens, mask=mask, pooled=masked_mean(tokens, mask))
