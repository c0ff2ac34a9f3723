"""Weights files in their release formats: locating the file (diffusers and exported model folders), reading its
tensors (any container, foreign pickles made inert), converting known layouts to lmdkit's keys, loading with a
report of what matched."""

import json
import os.path as osp
from typing import Dict, Iterable, List, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.logging import print_log

from .converters import convert_hf_vitmae, convert_mae_official, is_hf_vitmae, is_mae_official
from .paths import MODEL_WEIGHTS, resolve_path
from .released import load_released_weights

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


def read_lmdkit_state(path: str) -> Dict[str, torch.Tensor]:
    """Tensors of a weights file in lmdkit's key layout (``backbone.*``, ``neck.*``…), whatever its source format:
    an lmdkit/MMEngine checkpoint (``state_dict``), an official MAE release (``model``), an HF ViTMAE file, or an
    official DiT release (a bare state dict) or training checkpoint (``ema`` is taken; ``args`` is never executed).
    Files that pickle foreign objects are read through an inert unpickler."""
    # DiT/MDT training checkpoints hold {'model', 'ema', 'opt', 'args'}: their samples use the EMA weights
    state, _ = read_state_dict(path, ('state_dict', 'ema', 'model'))
    if is_hf_vitmae(state):
        return convert_hf_vitmae(state)
    if is_mae_official(state):
        return convert_mae_official(state)
    return state


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
