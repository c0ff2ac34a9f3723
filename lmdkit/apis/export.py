"""A trained model as one shareable folder: ``model.safetensors``, the resolved ``config.py`` and a model card.

The layout is what a model-hub repository holds, so the folder can be uploaded as it is (lmdkit itself never
touches the network). ``init_model(FOLDER)``, ``load_from=FOLDER`` and every tool that takes a checkpoint read it.
"""

import datetime
import hashlib
import os
import os.path as osp
from typing import List, Optional, Union

import torch
from mmengine.config import Config

from ..fileio import MODEL_WEIGHTS, atomic_write, load_from_local_safe
from ..models.builder import raw_weights_of
from ..utils.config_check import load_config
from ..utils.run_summary import RunSummary
from ..version import __version__

CONFIG_FILE = 'config.py'
CARD_FILE = 'README.md'


def detach_weight_sources(node, path: str = 'model') -> List[str]:
    """Remove, in place, what makes a model config read other weight files when it is built (a projector's
    ``checkpoint``, an ``init_cfg`` naming pretrained weights): the exported weights hold those values already.
    Returns the config keys removed."""
    removed = []
    if isinstance(node, dict):
        for key in list(node):
            value = node[key]
            if key == 'init_cfg' and value is not None:
                removed.append(f'{path}.init_cfg')
                node[key] = None
            elif key == 'checkpoint' and isinstance(value, str) and 'type' in node:
                removed.append(f'{path}.checkpoint')
                node[key] = None
            else:
                removed += detach_weight_sources(value, f'{path}.{key}')
    elif isinstance(node, list):
        for i, value in enumerate(node):
            removed += detach_weight_sources(value, f'{path}.{i}')
    return removed


def _summary_of(checkpoint: str) -> Optional[RunSummary]:
    """The run's ``summary.json`` next to the checkpoint, if there is one."""
    run = osp.dirname(osp.abspath(checkpoint))
    return RunSummary.read(run) if RunSummary.exists(run) else None


def _card(name: str, cfg: Config, meta: dict, summary: Optional[RunSummary], removed: List[str], digest: str) -> str:
    """The model card: what the model is, what it was trained on, what was measured, how to load it."""
    model = cfg.model
    parts = [model.get(k, {}).get('type') for k in ('projector', 'backbone', 'neck', 'denoiser', 'head')
             if isinstance(model.get(k), dict)]  # fmt: skip
    data = cfg.get('train_dataloader', {}).get('dataset', {})
    lines = [
        f'# {name}',
        '',
        f'An lmdkit {model.type} model ({" + ".join(p for p in parts if p)}), exported from `{meta["source"]}` '
        f'(iteration {meta["iter"]}) with lmdkit {__version__} on {meta["exported_at"]}.',
        '',
        f'- weights: `{MODEL_WEIGHTS}`, {meta["weights"]} weights, {meta["tensors"]} tensors, sha256 `{digest}`',
        f'- training data: {data.get("type", "?")} ({data.get("data_root", "embedded") or "embedded"})',
        f'- config: `{CONFIG_FILE}` (resolved: no `_base_`, runs as it is)',
    ]
    if removed:
        lines.append(
            f'- weight sources removed from the config (their values are in the weights): {", ".join(removed)}'
        )
    if summary:
        lines += ['', '## Measured', '', '| metric | value |', '|---|---|']
        num = lambda v: f'{v:.5g}' if isinstance(v, float) else v  # noqa: E731
        lines.append(f'| training iterations | {summary.iters} |')
        lines.append(f'| training seconds | {num(summary.train_seconds)} |')
        lines.append(f'| final training loss | {num(summary.final_loss)} |')
        for key, value in (summary.val or {}).items():
            if key not in ('iter', 'wall'):
                lines.append(f'| validation {key} | {num(value)} |')
        for key in ('MIT', 'MLT', 'MLI'):
            value = summary.efficiency.get(key)
            if value is not None:
                lines.append(f'| {key} | {num(value)} |')
        env = summary.environment
        if env:
            lines.append(f'| measured on | {env.get("device", "?")}, {env.get("gpu", env.get("platform", ""))} |')
    lines += [
        '',
        '## Use',
        '',
        '```python',
        'from lmdkit.apis import init_model',
        "model = init_model('PATH/TO/THIS/FOLDER')",
        '```',
        '',
        "`python tools/test.py FOLDER/config.py FOLDER` evaluates it; `load_from = 'FOLDER'` starts a run from it.",
        '',
    ]
    return '\n'.join(lines)


def export_pretrained(config: Union[str, Config], checkpoint: str, out_dir: str, ema: bool = True) -> dict:
    """Write ``out_dir/{model.safetensors, config.py, README.md}`` from a training checkpoint.

    Args:
        config: the config the checkpoint was trained with (path or Config).
        checkpoint: an lmdkit/MMEngine checkpoint.
        out_dir: the folder to write (created).
        ema: export the EMA weights where the run kept them (MMEngine's ``EMAHook``), else the raw training weights.

    Returns what was written: the paths, which weights, the tensor count and the weights' sha256.
    """
    cfg = load_config(config) if isinstance(config, str) else config.copy()
    ckpt = load_from_local_safe(checkpoint, map_location='cpu')
    state = ckpt.get('state_dict', ckpt)
    which = 'raw'
    raw = ckpt.get('ema_state_dict')
    if raw:  # an EMAHook run: state_dict holds the EMA weights
        which = 'ema' if ema else 'raw'
        if not ema:
            state = {**state, **raw_weights_of(raw)}
    # safetensors refuses tensors that share memory (tied weights): every tensor gets its own, contiguous copy
    tensors = {k: v.detach().clone().contiguous() for k, v in state.items() if isinstance(v, torch.Tensor)}
    meta = dict(
        source=osp.basename(checkpoint),
        iter=str((ckpt.get('meta') or {}).get('iter', '?')),
        weights=which,
        tensors=str(len(tensors)),
        exported_at=datetime.datetime.now().isoformat(timespec='seconds'),
        lmdkit=__version__,
    )
    from safetensors.torch import save

    os.makedirs(out_dir, exist_ok=True)
    weights = osp.join(out_dir, MODEL_WEIGHTS)
    payload = save(tensors, metadata=meta)
    atomic_write(weights, lambda f: f.write(payload))
    digest = hashlib.sha256(payload).hexdigest()
    removed = detach_weight_sources(cfg.model)
    cfg.pop('load_from', None)  # the run's own starting point, not this model's
    atomic_write(osp.join(out_dir, CONFIG_FILE), lambda f: f.write(cfg.pretty_text), mode='w')
    name = osp.splitext(osp.basename(cfg.filename or 'model'))[0]
    card = _card(name, cfg, meta, _summary_of(checkpoint), removed, digest)
    atomic_write(osp.join(out_dir, CARD_FILE), lambda f: f.write(card), mode='w')
    return dict(out_dir=out_dir, weights=which, tensors=len(tensors), sha256=digest, removed=removed)
