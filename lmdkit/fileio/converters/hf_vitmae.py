"""Hugging Face ``ViTMAEModel`` / ``ViTMAEForPreTraining`` state dicts -> lmdkit keys.

HF keeps query/key/value as three linears; ours are timm blocks with one fused ``qkv``. Both HF layouts are read:
transformers 4.x (``encoder.layer.i.attention.attention.query``…, the released hub files) and 5.x
(``layers.i.attention.q_proj``…, what ``save_pretrained`` writes now). Encoder: ``vit.*`` -> ``backbone.*``;
decoder: ``decoder.*`` -> ``neck.*``. Keys without the ``vit.`` prefix (a bare ``ViTMAEModel``) work too.
HF configs default to ``layer_norm_eps=1e-12`` where MAE uses 1e-6: set ``backbone.norm_eps`` to match.
"""

import re
from typing import Dict

import torch

_LAYER = {
    'layernorm_before': 'norm1',
    'layernorm_after': 'norm2',
    'attention.output.dense': 'attn.proj',  # 4.x
    'intermediate.dense': 'mlp.fc1',
    'output.dense': 'mlp.fc2',
    'attention.o_proj': 'attn.proj',  # 5.x
    'mlp.fc1': 'mlp.fc1',
    'mlp.fc2': 'mlp.fc2',
}
_QKV = r'attention\.(?:attention\.(query|key|value)|(q|k|v)_proj)\.(weight|bias)'
_PART = {'q': 'query', 'k': 'key', 'v': 'value'}
_TOP = {
    'embeddings.cls_token': 'cls_token',
    'embeddings.position_embeddings': 'pos_embed',
    'embeddings.patch_embeddings.projection.weight': 'patch_embed.proj.weight',
    'embeddings.patch_embeddings.projection.bias': 'patch_embed.proj.bias',
    'layernorm.weight': 'norm.weight',
    'layernorm.bias': 'norm.bias',
}


def is_hf_vitmae(state: Dict[str, torch.Tensor]) -> bool:
    return any(k.startswith(('vit.embeddings.', 'embeddings.patch_embeddings.')) for k in state)


_ENC_BLOCKS = r'(?:encoder\.layer|layers)\.(\d+)\.(.+)'


def _convert_layers(state: Dict[str, torch.Tensor], pattern: str, prefix: str) -> Dict[str, torch.Tensor]:
    """Blocks under ``pattern`` (regex with the block index as group 1 and the rest as group 2) -> timm names."""
    out, qkv = {}, {}
    for key, value in state.items():
        m = re.fullmatch(pattern, key)
        if not m:
            continue
        i, rest = int(m.group(1)), m.group(2)
        qm = re.fullmatch(_QKV, rest)
        if qm:
            part = qm.group(1) or _PART[qm.group(2)]
            qkv.setdefault((i, qm.group(3)), {})[part] = value
            continue
        for hf, ours in _LAYER.items():
            if rest.startswith(hf + '.'):
                out[f'{prefix}{i}.{ours}{rest[len(hf) :]}'] = value
                break
        else:
            raise KeyError(f'unrecognised ViTMAE layer key: {key}')
    for (i, kind), parts in qkv.items():
        if set(parts) != {'query', 'key', 'value'}:
            raise KeyError(f'layer {i}: incomplete query/key/value {kind}s ({sorted(parts)})')
        out[f'{prefix}{i}.attn.qkv.{kind}'] = torch.cat([parts['query'], parts['key'], parts['value']], dim=0)
    return out


def convert_hf_vitmae(state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Rename an HF ViTMAE state dict to ``backbone.*`` (+ ``neck.*`` when the decoder is present)."""
    enc = {k[len('vit.') :]: v for k, v in state.items() if k.startswith('vit.')}
    if not enc:  # a bare ViTMAEModel
        enc = {k: v for k, v in state.items() if not k.startswith('decoder.')}
    out = {'backbone.' + ours: enc[hf] for hf, ours in _TOP.items() if hf in enc}
    blocks = _convert_layers(enc, _ENC_BLOCKS, 'blocks.')
    out.update({'backbone.' + k: v for k, v in blocks.items()})
    dec = {k[len('decoder.') :]: v for k, v in state.items() if k.startswith('decoder.')}
    if dec:
        for name in ('mask_token', 'decoder_pos_embed'):
            out['neck.' + name] = dec[name]
        for name in ('decoder_embed', 'decoder_norm', 'decoder_pred'):
            for kind in ('weight', 'bias'):
                out[f'neck.{name}.{kind}'] = dec[f'{name}.{kind}']
        blocks = _convert_layers(dec, r'decoder_layers\.(\d+)\.(.+)', 'decoder_blocks.')
        out.update({'neck.' + k: v for k, v in blocks.items()})
    leftover = sorted(k for k in enc if k not in _TOP and not re.fullmatch(_ENC_BLOCKS, k))
    if leftover:
        raise KeyError(f'unrecognised ViTMAE encoder keys: {leftover[:8]}')
    return out
