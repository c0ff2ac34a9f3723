"""CLIP's text tower (Stable Diffusion v1's conditioning: ViT-L/14's, 77 tokens, last hidden state)."""

from typing import Dict, Union

import torch

from lmdkit.registry import TEXT_ENCODERS

from .base import TextEmbedding
from .hf_folder import HFTextEncoder

TOKENIZER_FILES = (('tokenizer.json',), ('vocab.json', 'merges.txt'))
# the released text towers (transformers CLIPTextConfig; ids as in their config.json, whose eos_token_id=2 makes
# transformers pool at the highest token id, the end-of-text token)
CLIP_TEXT_ARCHS: Dict[str, dict] = {
    'vit-l-14': dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                     projection_dim=768),  # openai/clip-vit-large-patch14: SD v1.x
    'vit-b-32': dict(hidden_size=512, intermediate_size=2048, num_hidden_layers=12, num_attention_heads=8,
                     projection_dim=512),  # openai/clip-vit-base-patch32
}  # fmt: skip
COMMON = dict(vocab_size=49408, max_position_embeddings=77, hidden_act='quick_gelu', bos_token_id=0, eos_token_id=2,
              pad_token_id=1)  # fmt: skip
CHECKED = ('hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'vocab_size',
           'max_position_embeddings')  # fmt: skip
EXAMPLE = "openai/clip-vit-large-patch14, or an SD-v1.x folder's text_encoder/ with tokenizer_dir its tokenizer/"


@TEXT_ENCODERS.register_module()
class CLIPTextEncoder(HFTextEncoder):
    """``transformers.CLIPTextModel`` of size ``arch``; weights and tokenizer from the local folder ``checkpoint``
    (a CLIP model folder, or an SD-v1.x folder's ``text_encoder/`` with ``tokenizer_dir`` its ``tokenizer/``).

    Building needs no files (the architecture comes from ``arch``); ``init_weights`` — which the runner calls
    through the algorithm — reads the weights once (and checks that the folder's config.json is this ``arch``),
    and the tokenizer is read on first use. A model restored from an lmdkit checkpoint has the weights already
    and reads only the tokenizer.

    As SD v1: captions padded to ``max_length`` (77) and encoded without an attention mask (CLIP's causal mask
    already keeps padding out of the real tokens' states); ``tokens`` is the last hidden state, or with
    ``hidden_layer=-2`` the penultimate layer's states through the final layer norm (SD 2's and diffusers'
    ``clip_skip=1``); ``pooled`` is the end-of-text token's final state (``pooler_output``); ``mask`` marks the
    caption's tokens only with ``mask_padding`` — by default it marks all ``max_length`` positions, so that
    cross-attention sees the end-of-text/padding states as SD v1 does.

    Args:
        checkpoint: the model folder (``config.json``, weights; the tokenizer too unless ``tokenizer_dir``).
        arch: 'vit-l-14' (SD v1), 'vit-b-32', or a dict of ``CLIPTextConfig`` arguments.
        tokenizer_dir: the tokenizer folder when it is separate (SD's ``tokenizer/``).
        max_length: padded length (CLIP's 77 positions at most).
        hidden_layer: -1 (last) or an earlier layer, counted from the end.
        frozen: no gradients (SD); ``False`` fine-tunes the text tower.
        mask_padding: cross-attention ignores the padding positions (False: SD v1 attends to all of them).
    """

    model_class = 'CLIPTextModel'
    tokenizer_class = 'CLIPTokenizer'
    checked = CHECKED
    tokenizer_files = TOKENIZER_FILES
    example = EXAMPLE

    def __init__(self, checkpoint: str, arch: Union[str, dict] = 'vit-l-14', tokenizer_dir: str = '',
                 max_length: int = 77, hidden_layer: int = -1, frozen: bool = True,
                 mask_padding: bool = False) -> None:  # fmt: skip
        super().__init__(checkpoint, tokenizer_dir, max_length, frozen)
        tf = self._transformers()
        if isinstance(arch, str) and arch not in CLIP_TEXT_ARCHS:
            raise ValueError(f'unknown CLIP text arch {arch!r}: choose one of {sorted(CLIP_TEXT_ARCHS)} or pass a '
                             'dict of CLIPTextConfig arguments')  # fmt: skip
        self.model = tf.CLIPTextModel(
            tf.CLIPTextConfig(**{**COMMON, **(CLIP_TEXT_ARCHS[arch] if isinstance(arch, str) else arch)})
        )
        positions = self.model.config.max_position_embeddings
        if max_length > positions:
            raise ValueError(f"CLIPTextEncoder: max_length {max_length} exceeds the model's {positions} positions")
        layers = self.model.config.num_hidden_layers
        if not -layers <= hidden_layer <= -1:
            raise ValueError(f'CLIPTextEncoder: hidden_layer must be in [-{layers}, -1] (counted from the end), '
                             f'got {hidden_layer}')  # fmt: skip
        self.hidden_layer, self.mask_padding = hidden_layer, mask_padding
        self.dim = self.model.config.hidden_size
        if frozen:
            self.freeze()

    def _file_config(self, config: dict) -> dict:
        return config.get('text_config', config)

    def final_layer_norm(self) -> torch.nn.Module:
        # transformers 5 puts the text transformer's modules on CLIPTextModel itself, 4.x under .text_model
        children = dict(self.model.named_children())
        return (children['text_model'] if 'text_model' in children else self.model).final_layer_norm

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> TextEmbedding:
        last = self.hidden_layer == -1
        out = self.model(input_ids=input_ids, output_hidden_states=not last)
        if last:
            tokens = out.last_hidden_state
        else:
            tokens = self.final_layer_norm()(out.hidden_states[self.hidden_layer])
        mask = attention_mask.bool() if self.mask_padding else torch.ones_like(attention_mask, dtype=torch.bool)
        return TextEmbedding(tokens=tokens, mask=mask, pooled=out.pooler_output)
