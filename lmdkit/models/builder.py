"""A model from its config and a checkpoint, loaded strictly and safely: what ``lmdkit.apis.init_model`` and the
feature networks of evaluation (``ClassifierFeatures``) build on."""

import os.path as osp
from typing import Optional, Union

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import _load_checkpoint_to_model

from lmdkit.fileio import is_model_folder, load_from_local_safe
from lmdkit.registry import MODELS
from lmdkit.utils.config_check import load_config, name_list_items

from .weights_check import check_weights, compare_weights, drop_mismatched


def build_model(
    config: Union[str, Config],
    checkpoint: Optional[str] = None,
    device: Union[str, torch.device] = 'cpu',
    cfg_options: Optional[dict] = None,
    ema: bool = False,
    strict: bool = True,
) -> torch.nn.Module:
    """Build ``config``'s model, load ``checkpoint`` (safely) and put it in eval mode on ``device``. Types resolve in
    lmdkit's registry scope for the duration of the call; nothing else about the process changes.

    A checkpoint that does not fit the model raises ``WeightsMismatchError`` (missing, unexpected and mis-shaped
    keys, and the config setting that likely differs); ``strict=False`` loads what fits and warns about the rest.

    Checkpoints of runs with MMEngine's ``EMAHook`` hold the EMA weights under ``state_dict`` and the raw training
    weights under ``ema_state_dict`` (the hook swaps them when saving, so that plain loading deploys the EMA). With
    ``ema=True`` those EMA weights are used, otherwise the raw ones; ``model.ema_loaded`` says which.

    ``config`` may be an exported model folder (``export_pretrained``): its ``config.py`` and the one set of weights
    it holds (EMA or raw, as exported; ``ema_loaded`` says which).
    """
    if isinstance(config, str) and is_model_folder(config):
        checkpoint = checkpoint or config
        config = osp.join(config, 'config.py')
    cfg = load_config(config, cfg_options) if isinstance(config, str) else config.copy()
    if cfg_options and not isinstance(config, str):
        cfg.merge_from_dict(name_list_items(cfg, cfg_options))
    with DefaultScope.overwrite_default_scope('lmdkit'):  # nested parts (data preprocessor) build in lmdkit's scope
        model = MODELS.build(cfg.model)
    model.ema_loaded = False
    if checkpoint is not None:
        ckpt = load_from_local_safe(checkpoint, map_location='cpu')
        fit = check_weights(
            model, ckpt, checkpoint, strict, cfg.get('model'), 'or load what fits with init_model(..., strict=False)'
        )
        if not fit.ok:
            drop_mismatched(ckpt, fit)
            print_log(f'partial load of {checkpoint}; left at initial values:\n  {fit.describe()}', level=30)
        _load_checkpoint_to_model(model, ckpt, strict=False)
        has_ema = isinstance(ckpt, dict) and bool(ckpt.get('ema_state_dict'))
        if has_ema and not ema:
            _load_raw_weights(model, ckpt['ema_state_dict'], strict, checkpoint)
        # an exported folder holds one set of weights, whichever was exported: ema_loaded says which
        exported_ema = ckpt.get('meta', {}).get('exported', {}).get('weights') == 'ema'
        model.ema_loaded = (ema and has_ema) or exported_ema
    model.cfg = cfg
    return model.to(device).eval()


def raw_weights_of(ema_state_dict: dict) -> dict:
    """The raw training weights in a checkpoint's ``ema_state_dict``: EMAHook swaps the EMA weights into
    ``state_dict`` when saving and keeps the raw ones there as ``module.<name>`` (beside its ``steps``)."""
    return {k[len('module.') :]: v for k, v in ema_state_dict.items() if k.startswith('module.')}


def _load_raw_weights(model: torch.nn.Module, swapped: dict, strict: bool = True, path: str = '') -> None:
    """Load the raw training weights that EMAHook left in ``ema_state_dict`` (keys ``module.<name>``, plus the
    hook's ``steps``) after swapping the EMA weights into ``state_dict``; ``strict=False`` loads what fits."""
    state = raw_weights_of(swapped)
    if not strict:
        fit = compare_weights(model, state)
        drop_mismatched(state, fit)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if strict and (unexpected or [k for k in missing if not k.startswith('projector.')]):
        raise ValueError(f'{path}: its raw (non-EMA) weights do not fit the model: missing {missing[:5]}, unexpected '
                         f'{unexpected[:5]}; load its EMA weights (ema=True) or pass strict=False')  # fmt: skip
