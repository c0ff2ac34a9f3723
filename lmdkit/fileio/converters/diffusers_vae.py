"""diffusers ``AutoencoderKL`` keys -> the LDM/taming layout of lmdkit's autoencoder projectors."""

import re
from typing import Dict

import torch


def is_diffusers_layout(state: Dict[str, torch.Tensor]) -> bool:
    return any('down_blocks.' in k or 'mid_block.' in k for k in state)


_RESNET = {'conv_shortcut': 'nin_shortcut'}
_ATTN = {
    'group_norm': 'norm',
    'to_q': 'q',
    'to_k': 'k',
    'to_v': 'v',
    'to_out.0': 'proj_out',
    'query': 'q',  # diffusers < 0.14 names
    'key': 'k',
    'value': 'v',
    'proj_attn': 'proj_out',
}


def diffusers_to_ldm(state: Dict[str, torch.Tensor], num_levels: int) -> Dict[str, torch.Tensor]:
    """Rename a diffusers ``AutoencoderKL`` state dict to the LDM/taming layout our modules use.

    Diffusers numbers decoder ``up_blocks`` from the deepest level, LDM numbers ``up`` from full resolution;
    attention projections are linear layers in diffusers and 1×1 convolutions in LDM.
    """
    out = {}
    for key, value in state.items():
        new = key
        new = re.sub(r'^(encoder|decoder)\.conv_norm_out\.', r'\1.norm_out.', new)
        new = re.sub(r'^encoder\.down_blocks\.(\d+)\.resnets\.(\d+)\.', r'encoder.down.\1.block.\2.', new)
        new = re.sub(r'^encoder\.down_blocks\.(\d+)\.downsamplers\.0\.', r'encoder.down.\1.downsample.', new)
        m = re.match(r'^decoder\.up_blocks\.(\d+)\.(resnets|upsamplers)\.(\d+)\.(.*)$', new)
        if m:
            level = num_levels - 1 - int(m.group(1))
            part = f'block.{m.group(3)}' if m.group(2) == 'resnets' else 'upsample'
            new = f'decoder.up.{level}.{part}.{m.group(4)}'
        new = re.sub(
            r'^(encoder|decoder)\.mid_block\.resnets\.(\d)\.', lambda g: f'{g[1]}.mid.block_{int(g[2]) + 1}.', new
        )
        m = re.match(r'^(encoder|decoder)\.mid_block\.attentions\.0\.(.*)\.(weight|bias)$', new)
        if m:
            new = f'{m.group(1)}.mid.attn_1.{_ATTN.get(m.group(2), m.group(2))}.{m.group(3)}'
            if m.group(3) == 'weight' and value.ndim == 2:
                value = value[:, :, None, None]  # linear -> 1x1 conv
        for old, rep in _RESNET.items():
            new = new.replace(f'.{old}.', f'.{rep}.')
        out[new] = value
    return out
