"""Official MAE checkpoints (facebookresearch/mae) -> lmdkit keys.

The release files hold ``{'model': state}`` with timm-style encoder keys (``cls_token``, ``pos_embed``,
``patch_embed.proj.*``, ``blocks.i.*``, ``norm.*``); the ``_full`` files add the decoder (``mask_token``,
``decoder_*``) and fine-tuned ones ``fc_norm.*`` and ``head.*``. Our ``MAEViT`` / ``MAEPretrainDecoder`` /
``ImageClassifier`` use the same names below their prefixes, so conversion is a prefix mapping.
"""

from typing import Dict

import torch

DECODER_KEYS = ('mask_token', 'decoder_')


def is_mae_official(state: Dict[str, torch.Tensor]) -> bool:
    return 'cls_token' in state and any(k.startswith('blocks.') for k in state)


def convert_mae_official(state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Encoder keys -> ``backbone.*``, decoder keys -> ``neck.*``, ``head.*`` -> ``head.fc.*``, ``fc_norm`` kept."""
    out = {}
    for key, value in state.items():
        if key.startswith(DECODER_KEYS):
            out['neck.' + key] = value
        elif key.startswith('head.'):
            out['head.fc.' + key[len('head.') :]] = value
        elif key.startswith('fc_norm.'):
            out[key] = value
        else:
            out['backbone.' + key] = value
    return out
