"""Export of our encoder (and classifier head) as a timm ``VisionTransformer`` state dict.

timm's ViT uses MAE's names at the top level, so the encoder exports by dropping ``backbone.``. A classifier
with global pooling has ``fc_norm`` and no final ``norm`` (timm: ``global_pool='avg'``, ``fc_norm=True``); one with
the class token keeps ``norm`` (``global_pool='token'``). The returned kwargs rebuild the matching timm model.
"""

from typing import Dict, Tuple

import torch


def export_timm_vit(state: Dict[str, torch.Tensor]) -> Tuple[Dict[str, torch.Tensor], dict]:
    """lmdkit state dict (LMD, MAE or ImageClassifier) -> (timm state dict, ``timm.create_model`` kwargs)."""
    out = {k[len('backbone.') :]: v for k, v in state.items() if k.startswith('backbone.')}
    if 'pos_embed' not in out:
        raise KeyError('no backbone.* encoder keys found: is this an lmdkit LMD/MAE/classifier checkpoint?')
    for key in ('fc_norm.weight', 'fc_norm.bias'):
        if key in state:
            out[key] = state[key]
    for kind in ('weight', 'bias'):
        if f'head.fc.{kind}' in state:
            out[f'head.{kind}'] = state[f'head.fc.{kind}']
    if 'head.bn.running_mean' in state:
        raise ValueError('a linear-probe head (BatchNorm + linear) has no timm equivalent; export the encoder only')
    embed_dim = out['cls_token'].shape[-1]
    proj = out['patch_embed.proj.weight']  # (D, C, p, p)
    depth = 1 + max(int(k.split('.')[1]) for k in out if k.startswith('blocks.'))
    grid = round((out['pos_embed'].shape[1] - 1) ** 0.5)
    kwargs = dict(
        embed_dim=embed_dim,
        depth=depth,
        num_heads=None,  # not recoverable from weights; filled by the caller
        patch_size=proj.shape[-1],
        in_chans=proj.shape[1],
        img_size=grid * proj.shape[-1],
        mlp_ratio=out['blocks.0.mlp.fc1.weight'].shape[0] / embed_dim,
        num_classes=out['head.weight'].shape[0] if 'head.weight' in out else 0,
        global_pool='avg' if 'fc_norm.weight' in out else 'token',
        fc_norm='fc_norm.weight' in out,
    )
    if 'fc_norm.weight' in out:  # timm's avg-pool ViT has no final norm
        for key in ('norm.weight', 'norm.bias'):
            out.pop(key, None)
    return out, kwargs
