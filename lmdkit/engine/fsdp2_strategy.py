"""Fully sharded data parallel with PyTorch's FSDP2 (``fully_shard``), for MMEngine's FlexibleRunner, on CUDA and CPU.

MMEngine's ``FSDPStrategy`` wraps FSDP1, which refuses CPU modules; FSDP2 shards parameters as DTensors on any
device mesh (gloo on CPU, NCCL on GPUs), so the same config trains on both and is testable without a GPU.
Checkpoints hold full, unsharded state dicts (model and optimiser, keyed by parameter names), written by rank 0:
they load without FSDP (tools/sample.py, fine-tuning) and into any number of ranks.
"""

from typing import TYPE_CHECKING, Optional, Sequence

import torch
import torch.nn as nn
from mmengine._strategy import DDPStrategy, SingleDeviceStrategy
from mmengine.device import get_device
from mmengine.dist import is_main_process

from lmdkit.registry import STRATEGIES

if TYPE_CHECKING:
    from torch.distributed.device_mesh import DeviceMesh


def _options(**kwargs):
    from torch.distributed.checkpoint.state_dict import StateDictOptions

    return StateDictOptions(full_state_dict=True, **kwargs)


@STRATEGIES.register_module()
class FSDP2Strategy(DDPStrategy):
    """Shard every sub-module whose class name is in ``shard_modules`` (transformer blocks) and then the whole
    model with ``torch.distributed.fsdp.fully_shard``; parameters, gradients and optimiser state are split over
    the ranks and gathered block by block in forward and backward.

    Args:
        shard_modules: class names of the units sharded on their own (default: the ViT, DiT and MDT blocks).
        param_dtype, reduce_dtype: FSDP2 mixed precision ('bfloat16', 'float32', ...; None keeps the parameters').
        reshard_after_forward: free gathered parameters after each unit's forward (less memory, one more gather).
        **kwargs: MMEngine ``DDPStrategy`` arguments (``sync_bn``, ...; ``model_wrapper`` is not used).
    """

    #: methods that use the parameters without going through forward(): they gather the root unit like forward
    #: does (not nested in one another: the inner call would reshard before the outer one ends)
    forward_methods = ('reconstruct', 'sample', 'fit_latent_prior')

    def __init__(self, shard_modules: Sequence[str] = ('Block', 'DiTBlock', 'MDTBlock'),
                 param_dtype: Optional[str] = None, reduce_dtype: Optional[str] = None,
                 reshard_after_forward: bool = True, **kwargs) -> None:  # fmt: skip
        super().__init__(**kwargs)
        self.shard_modules = tuple(shard_modules)
        self.param_dtype, self.reduce_dtype = param_dtype, reduce_dtype
        self.reshard_after_forward = reshard_after_forward

    def _wrap_model(self, model: nn.Module) -> nn.Module:
        from torch.distributed.device_mesh import init_device_mesh

        model = self.convert_model(model.to(get_device()))
        mesh = init_device_mesh(get_device(), (self.world_size,))
        units = fully_shard_model(model, mesh, self.shard_modules, self.param_dtype, self.reduce_dtype,
                                  self.reshard_after_forward, self.forward_methods)  # fmt: skip
        self.logger.info(f'FSDP2: {units} units sharded over {self.world_size} ranks on {get_device()}')
        return model

    # ------------------------------------------------------------------ full (unsharded) state dicts
    _gathered: Optional[tuple] = None  # (model, optimiser) state gathered for the checkpoint being written

    def model_state_dict(self) -> dict:
        from torch.distributed.checkpoint.state_dict import get_model_state_dict

        if self._gathered is not None:
            return self._gathered[0]
        return get_model_state_dict(self.model, options=_options(cpu_offload=True))  # a collective: every rank

    def optim_state_dict(self) -> dict:
        from torch.distributed.checkpoint.state_dict import get_optimizer_state_dict

        if self._gathered is not None:
            return self._gathered[1]
        optimizer = self.optim_wrapper.optimizer
        return get_optimizer_state_dict(self.model, optimizer, options=_options(cpu_offload=True))

    def load_model_state_dict(self, state_dict: dict, *, strict: bool = False,
                              revise_keys: Optional[list] = None) -> None:  # fmt: skip
        import re

        from torch.distributed.checkpoint.state_dict import set_model_state_dict

        for pattern, replacement in revise_keys or [(r'^module.', '')]:  # MMEngine's default
            state_dict = {re.sub(pattern, replacement, k): v for k, v in state_dict.items()}
        result = set_model_state_dict(self.model, state_dict, options=_options(strict=strict))
        if not strict and (result.missing_keys or result.unexpected_keys):
            self.logger.warning(f'FSDP2 load: missing {result.missing_keys}, unexpected {result.unexpected_keys}')

    def load_optim_state_dict(self, state_dict: dict) -> None:
        from torch.distributed.checkpoint.state_dict import set_optimizer_state_dict

        set_optimizer_state_dict(self.model, self.optim_wrapper.optimizer, state_dict, options=_options())

    def save_checkpoint(self, filename: str, **kwargs) -> None:
        """Gather the full state on every rank (collectives), then write it from rank 0 as MMEngine's DDP does."""
        with_optimizer = kwargs.get('save_optimizer', True) and hasattr(self, 'optim_wrapper')
        gathered = (self.model_state_dict(), self.optim_state_dict() if with_optimizer else None)
        if not is_main_process():
            return
        self._gathered = gathered
        try:
            SingleDeviceStrategy.save_checkpoint(self, filename, **kwargs)
        finally:
            self._gathered = None


def fully_shard_model(
    model: nn.Module,
    mesh: 'DeviceMesh',
    shard_modules: Sequence[str] = ('Block', 'DiTBlock', 'MDTBlock'),
    param_dtype: Optional[str] = None,
    reduce_dtype: Optional[str] = None,
    reshard_after_forward: bool = True,
    forward_methods: Sequence[str] = ('reconstruct', 'sample', 'fit_latent_prior'),
) -> int:
    """Shard ``model`` in place with FSDP2 over ``mesh``: every sub-module whose class name is in ``shard_modules``
    as a unit of its own, then the rest as one root unit; frozen parameters are left whole (without a
    ``param_dtype``). The model keeps its
    class, so ``train_step`` and the ``forward_methods`` work as before. Returns the number of inner units."""
    from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard, register_fsdp_forward_method

    policy = MixedPrecisionPolicy(
        param_dtype=getattr(torch, param_dtype) if param_dtype else None,
        reduce_dtype=getattr(torch, reduce_dtype) if reduce_dtype else None,
    )
    # frozen parameters (a projector's VAE) stay whole on every rank, as under DDP: sharding them would all-gather
    # them in every forward for nothing. Not with a param_dtype: FSDP2 casts the forward inputs to it, and whole
    # fp32 weights would then meet bf16 images
    frozen = {p for p in model.parameters() if not p.requires_grad} if param_dtype is None else set()
    kwargs = dict(mesh=mesh, mp_policy=policy, reshard_after_forward=reshard_after_forward, ignored_params=frozen)
    units = [m for m in model.modules() if type(m).__name__ in tuple(shard_modules) and m is not model]
    for unit in units:
        fully_shard(unit, **kwargs)
    fully_shard(model, **kwargs)  # the rest (embeddings, heads, norms) as one unit
    for method in forward_methods:  # entry points hooks and tools call instead of forward()
        if callable(getattr(model, method, None)):
            register_fsdp_forward_method(model, method)
    return len(units)
