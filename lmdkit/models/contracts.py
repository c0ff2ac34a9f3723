"""What the engine may ask of a model, as named Protocols: hooks check ``isinstance(model, Contract)`` and say which
contract a model lacks, instead of probing attribute names one by one."""

from typing import TYPE_CHECKING, Dict, Optional, Protocol, Set, runtime_checkable

import torch

if TYPE_CHECKING:
    from .example import ComponentExample


@runtime_checkable
class Exemplified(Protocol):
    """A registered component that gives its own tiny example (``ComponentExample``: a config and an objective;
    ``lmdkit.models.example``), which the registry-wide test builds and trains one step of."""

    @classmethod
    def example(cls) -> 'ComponentExample': ...


@runtime_checkable
class ProgressScheduled(Protocol):
    """A model with a per-step schedule (the mask ratio of LMD and MDT, the autoencoder's adversarial start): told the
    training progress before each step (``ProgressHook``)."""

    def set_progress(self, progress: float, step: Optional[int] = None) -> Optional[float]:
        """Set the schedule for ``progress`` in [0, 1] (optimiser step ``step``); returns the value now in force
        (the mask ratio), or None for a schedule that is not one number."""


@runtime_checkable
class MaskScheduled(ProgressScheduled, Protocol):
    """A model whose schedule is a mask ratio (LMD, MDT): ``mask_ratio`` is the ratio its training steps use now
    (benchmarks fix it directly; training sets it through ``set_progress``)."""

    mask_ratio: float


@runtime_checkable
class LatentCompleter(Protocol):
    """A masked generative model that completes images from a share of their latent tokens (LMD)."""

    def complete(
        self,
        inputs: torch.Tensor,
        visible: Optional[torch.Tensor] = None,
        generator: Optional[torch.Generator] = None,
        **overrides,
    ) -> Dict[str, torch.Tensor]: ...


@runtime_checkable
class Reconstructor(Protocol):
    """A model that reconstructs its input (an autoencoder): ``input`` and ``reconstruction`` images."""

    def reconstruct(self, inputs: torch.Tensor) -> Dict[str, torch.Tensor]: ...


@runtime_checkable
class MaskedReconstructor(Protocol):
    """A masked model (LMD, MAE): reconstructs from a masked input, with masks drawn from a seed."""

    val_mask_ratio: float

    def fixed_noise(self, batch: int, seed: int, device: torch.device) -> torch.Tensor: ...

    def reconstruct(
        self, inputs: torch.Tensor, mask_ratio: Optional[float] = None, noise: Optional[torch.Tensor] = None
    ) -> Dict[str, torch.Tensor]: ...


@runtime_checkable
class Sampler(Protocol):
    """A generative model: ``sample`` returns ``images`` (and ``labels`` for a class-conditional one)."""

    @property
    def num_classes(self) -> int: ...

    def sample(
        self, num: int, labels: Optional[torch.Tensor] = None, generator: Optional[torch.Generator] = None, **kwargs
    ) -> Dict[str, torch.Tensor]: ...


@runtime_checkable
class LatentPriorFitter(Protocol):
    """A model whose sampler starts from a prior fitted on training latents (LMD's iterative unmasking)."""

    prior_count: torch.Tensor

    def fit_latent_prior(self, batches, max_batches: Optional[int] = None) -> int: ...


@runtime_checkable
class LayerwiseEncoder(Protocol):
    """An encoder that layer-wise lr decay can split (MAE's ``param_groups_lrd``): its block count, the layer id of
    each parameter and the names that take no weight decay."""

    depth: int

    def get_layer_id(self, name: str) -> int: ...

    def no_weight_decay(self) -> Set[str]: ...


@runtime_checkable
class PatchReconstructionLoss(Protocol):
    """The loss of a masked model (``MaskedMSELoss``): it owns the target (``construct_target``, e.g. MAE's
    per-patch standardisation) and its inverse (``restore``), so the algorithm never re-implements either."""

    target_is_raw: bool

    def construct_target(self, patches: torch.Tensor) -> torch.Tensor: ...

    def restore(self, pred: torch.Tensor, patches: torch.Tensor) -> torch.Tensor: ...

    def patch_errors(self, pred: torch.Tensor, patches: torch.Tensor) -> torch.Tensor: ...
