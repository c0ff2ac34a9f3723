"""Loading released autoencoder weights: format detection, diffusers -> LDM/taming key mapping, load reports."""

import json
import os.path as osp
import re
from typing import Dict, Iterable, List, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.logging import print_log

from lmdkit.engine.checkpoint import load_released_weights
from lmdkit.fileio import MODEL_WEIGHTS, resolve_path

DIFFUSERS_FILES = ('diffusion_pytorch_model.safetensors', 'diffusion_pytorch_model.bin')
#: what a weights folder may hold: a diffusers ``vae/`` folder's file or an exported lmdkit model folder's
FOLDER_WEIGHTS = (*DIFFUSERS_FILES, MODEL_WEIGHTS)


def resolve_weights_path(path: str) -> str:
    """A file, a diffusers folder (``vae/`` with ``diffusion_pytorch_model.{safetensors,bin}``) or an exported
    lmdkit model folder (``model.safetensors``); ``lmdkit://`` names one shipped in the package."""
    path = resolve_path(path)
    if osp.isdir(path):
        for name in FOLDER_WEIGHTS:
            if osp.isfile(osp.join(path, name)):
                return osp.join(path, name)
        raise FileNotFoundError(f'{path} is a folder without {" or ".join(FOLDER_WEIGHTS)}')
    if not osp.isfile(path):
        raise FileNotFoundError(f'weights file not found: {path}')
    return path


def read_state_dict(
    path: str, containers: Iterable[str] = ('state_dict',)
) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """Tensors of a weights file — the first of ``containers`` present (a Lightning/MMEngine ``state_dict``, MAE's
    ``model``…) or the top level — and the names of pickled globals that were replaced by inert placeholders."""
    obj, skipped = load_released_weights(resolve_weights_path(path))
    if isinstance(obj, dict):
        obj = next((obj[k] for k in containers if isinstance(obj.get(k), dict)), obj)
    if not isinstance(obj, dict):
        raise ValueError(f'{path}: expected a state dict, found {type(obj).__name__}')
    return {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}, skipped


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


def strip_prefix(state: Dict[str, torch.Tensor], prefixes: Iterable[str]) -> Dict[str, torch.Tensor]:
    """Keep keys under the first prefix present (e.g. ``first_stage_model.`` in an LDM checkpoint), prefix removed."""
    for prefix in prefixes:
        if any(k.startswith(prefix) for k in state):
            return {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
    return state


def load_into(
    module: nn.Module,
    state: Dict[str, torch.Tensor],
    source: str,
    ignore_prefixes: Iterable[str] = ('loss.', 'discriminator.'),
    strict: bool = True,
) -> dict:
    """Load ``state`` strictly, after dropping (and reporting) keys under ``ignore_prefixes``.

    Returns a report dict (loaded, ignored, missing, unexpected); with ``strict`` a missing or unexpected key
    raises an error that lists them.
    """
    # training-only state (dead-code counters) is dropped when the target does not track it
    own = module.state_dict()
    ignored = sorted(k for k in state if k.startswith(tuple(ignore_prefixes))
                     or (k.endswith(('quantize.usage_count', 'quantize.steps')) and k not in own))  # fmt: skip
    state = {k: v for k, v in state.items() if k not in set(ignored)}
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shape_errors = [f'{k}: file {tuple(state[k].shape)} vs model {tuple(own[k].shape)}' for k in set(state) & set(own)
                    if state[k].shape != own[k].shape]  # fmt: skip
    if strict and (missing or unexpected or shape_errors):
        raise ValueError(
            f'{source} does not match {type(module).__name__}: {len(missing)} missing keys {missing[:8]}, '
            f'{len(unexpected)} unexpected keys {unexpected[:8]}, shape mismatches {sorted(shape_errors)[:8]}. '
            'Check the architecture settings (ch, ch_mult, num_res_blocks, z_channels, codebook size).'
        )
    module.load_state_dict({k: v for k, v in state.items() if k in own}, strict=False)
    report = dict(source=source, loaded=len(state) - len(unexpected), ignored=len(ignored), missing=missing,
                  unexpected=unexpected)  # fmt: skip
    if ignored:
        groups = sorted({k.split('.')[0] + '.' + k.split('.')[1] for k in ignored if '.' in k})
        report['ignored_groups'] = groups
    print_log(f'loaded {source}: {json.dumps(report)[:400]}', logger='current')
    return report


def load_autoencoder_weights(
    module: nn.Module, path: str, num_levels: int, prefixes: Iterable[str] = ('first_stage_model.', 'vae.')
) -> dict:
    """Load diffusers (folder, ``.safetensors``/``.bin``) or LDM/taming (``.ckpt``/``.pt``/``.safetensors``,
    bare or under ``first_stage_model.``) weights into an autoencoder projector."""
    state, skipped = read_state_dict(path)
    state = strip_prefix(state, prefixes)
    if is_diffusers_layout(state):
        state = diffusers_to_ldm(state, num_levels)
    report = load_into(module, state, path)
    if skipped:
        report['skipped_pickled_objects'] = skipped
    return report


def check_diffusers_config(path: str, expected: dict) -> Optional[dict]:
    """Compare a diffusers ``config.json`` next to the weights with our settings; raise on a mismatch."""
    folder = path if osp.isdir(path) else osp.dirname(path)
    cfg_path = osp.join(folder, 'config.json')
    if not osp.isfile(cfg_path):
        return None
    with open(cfg_path) as f:
        cfg = json.load(f)
    wrong = {k: (cfg[k], v) for k, v in expected.items() if k in cfg and _norm(cfg[k]) != _norm(v)}
    if wrong:
        detail = ', '.join(f'{k}: file {a} vs config {b}' for k, (a, b) in wrong.items())
        raise ValueError(f'{cfg_path} describes another architecture ({detail}); set the projector arguments to match')
    return cfg


def _norm(v):
    return list(v) if isinstance(v, (list, tuple)) else v
