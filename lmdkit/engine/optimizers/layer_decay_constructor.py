"""Layer-wise learning-rate decay (BEiT/MAE fine-tuning): deeper layers keep more of the base lr."""

from typing import Dict, List, Optional

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper

from lmdkit.models.contracts import LayerwiseEncoder
from lmdkit.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, OPTIMIZERS

from .default_constructor import plain_param_groups


def layer_decay_param_groups(
    model: nn.Module, base_lr: float, weight_decay: float, layer_decay: float, backbone: str = 'backbone'
) -> List[dict]:
    """MAE's ``param_groups_lrd``: layer id 0 for embeddings, i + 1 for block i, L + 1 = depth + 1 for everything
    else (final norm, fc_norm, head); lr scale = layer_decay ** (L + 1 − id). Biases, norms (1-D parameters) and
    the backbone's ``no_weight_decay()`` names (position embedding, class token) get no weight decay.
    Frozen parameters are left out. Each group carries ``lr_scale``, ``layer_id`` and its parameter names.
    """
    encoder = getattr(model, backbone, None)
    if not isinstance(encoder, LayerwiseEncoder):
        raise ValueError(
            f'layer-wise lr decay needs model.{backbone} to be a LayerwiseEncoder (lmdkit.models.contracts: depth, '
            f'get_layer_id(), no_weight_decay(); e.g. MAEViT), got {type(encoder).__name__}'
        )
    num_layers = encoder.depth + 1
    skip = set(encoder.no_weight_decay())
    groups: Dict[tuple, dict] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        if name.startswith(backbone + '.'):
            local = name[len(backbone) + 1 :]
            layer_id, no_decay = encoder.get_layer_id(local), param.ndim == 1 or local in skip
        else:
            layer_id, no_decay = num_layers, param.ndim == 1
        key = (layer_id, no_decay)
        if key not in groups:
            scale = layer_decay ** (num_layers - layer_id)
            groups[key] = dict(params=[], param_names=[], lr=base_lr * scale, lr_scale=scale, layer_id=layer_id,
                               weight_decay=0.0 if no_decay else weight_decay)  # fmt: skip
        groups[key]['params'].append(param)
        groups[key]['param_names'].append(name)
    return [groups[k] for k in sorted(groups)]


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """``optim_wrapper = dict(constructor='LayerDecayOptimWrapperConstructor', optimizer=dict(type='AdamW', lr=...,
    weight_decay=0.05), paramwise_cfg=dict(layer_decay_rate=0.65))``. MMEngine's lr schedulers scale every group
    from its own initial lr, so the per-layer ratios hold through warm-up and cosine decay."""

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None) -> None:
        paramwise_cfg = dict(paramwise_cfg or {})
        self.layer_decay = paramwise_cfg.pop('layer_decay_rate', 0.75)
        self.backbone_name = paramwise_cfg.pop('backbone', 'backbone')
        if paramwise_cfg:
            raise ValueError(f'LayerDecayOptimWrapperConstructor: unknown paramwise_cfg keys {sorted(paramwise_cfg)}')
        if not 0 < self.layer_decay <= 1:
            raise ValueError(f'layer_decay_rate must be in (0, 1], got {self.layer_decay}')
        super().__init__(optim_wrapper_cfg, None)

    def __call__(self, model: nn.Module) -> OptimWrapper:
        module = model.module if is_model_wrapper(model) else model
        optim_wrapper_cfg = self.optim_wrapper_cfg.copy()
        optimizer_cfg = self.optimizer_cfg.copy()
        groups = layer_decay_param_groups(
            module, optimizer_cfg['lr'], optimizer_cfg.get('weight_decay', 0.0), self.layer_decay, self.backbone_name
        )
        summary = ', '.join(f"{g['layer_id']}{'nd' if g['weight_decay'] == 0 else ''}:{g['lr_scale']:.3g}"
                            for g in groups)  # fmt: skip
        print_log(f'layer-wise lr decay {self.layer_decay}: {len(groups)} groups (layer[nd]:scale) {summary}',
                  logger='current')  # fmt: skip
        for g in groups:
            g.pop('param_names')
        optimizer_cfg['params'] = groups
        optimizer = OPTIMIZERS.build(optimizer_cfg)
        plain_param_groups(optimizer)  # torch.compile cannot trace a step over ConfigDict groups
        optim_wrapper_cfg.setdefault('type', 'OptimWrapper')
        return OPTIM_WRAPPERS.build(optim_wrapper_cfg, default_args=dict(optimizer=optimizer))
