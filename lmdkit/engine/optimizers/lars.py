"""LARS (You et al., 2017) as MAE's linear probe uses it (``util/lars.py`` in facebookresearch/mae).

Only matrices and kernels (ndim > 1) get weight decay and the layer-wise trust ratio; biases and norm parameters
take plain momentum steps. timm's ``Lars`` differs: without weight decay it skips the trust ratio altogether,
and with ``always_adapt`` it also scales biases — so the probe's lr of 6.4 would be applied unscaled.
"""

from typing import Iterable

import torch

from lmdkit.registry import OPTIMIZERS


@OPTIMIZERS.register_module()
class Lars(torch.optim.Optimizer):
    """SGD with momentum whose step for each weight matrix is scaled by η·‖w‖ / ‖g + λw‖ (1 when either is zero).

    Args:
        params: parameters or parameter groups.
        lr: learning rate.
        weight_decay: λ, applied to ndim > 1 parameters only.
        momentum: heavy-ball momentum (buffer μ ← m·μ + update; w ← w − lr·μ).
        trust_coefficient: η.
    """

    def __init__(self, params: Iterable, lr: float = 0.0, weight_decay: float = 0.0, momentum: float = 0.9,
                 trust_coefficient: float = 0.001) -> None:  # fmt: skip
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, trust_coefficient=trust_coefficient)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group['params']:
                if p.grad is None:
                    continue
                update = p.grad
                if p.ndim > 1:
                    update = update.add(p, alpha=group['weight_decay'])
                    w_norm, u_norm = torch.linalg.vector_norm(p), torch.linalg.vector_norm(update)
                    ratio = group['trust_coefficient'] * w_norm / u_norm.clamp_min(torch.finfo(u_norm.dtype).tiny)
                    update = update * torch.where((w_norm > 0) & (u_norm > 0), ratio, torch.ones_like(ratio))
                state = self.state[p]
                if 'mu' not in state:
                    state['mu'] = torch.zeros_like(p)
                state['mu'].mul_(group['momentum']).add_(update)
                p.add_(state['mu'], alpha=-group['lr'])
        return loss
