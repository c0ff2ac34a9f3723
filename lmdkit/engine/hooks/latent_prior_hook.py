"""Fits LMD's per-position latent prior (the start of unconditional sampling) once, before training."""

from typing import Optional

import torch
from mmengine.dataset import default_collate
from mmengine.hooks import Hook
from torch.utils.data import DataLoader, Subset

from lmdkit.models.contracts import LatentPriorFitter
from lmdkit.registry import HOOKS

from ..model_wrappers import unwrap


@torch.no_grad()
def fit_prior_on_dataset(model, dataset, num_samples: int = 5000, batch_size: int = 64) -> int:
    """Fit ``model``'s latent prior on the first ``num_samples`` items of ``dataset`` (sequential, own loader)."""
    subset = Subset(dataset, range(min(num_samples, len(dataset))))
    loader = DataLoader(subset, batch_size=batch_size, shuffle=False, collate_fn=default_collate, num_workers=0)
    was_training = model.training
    model.eval()
    try:
        return model.fit_latent_prior(model.data_preprocessor(batch, False)['inputs'] for batch in loader)
    finally:
        model.train(was_training)


@HOOKS.register_module()
class LatentPriorHook(Hook):
    """Before training, if the model's prior is not fitted yet (a fresh run; a resumed one loads it from the
    checkpoint), average the latent patches of the first ``num_samples`` training samples.

    The fit reads the dataset through its own loader (sequential, no shuffling) on every rank, so each rank
    holds the same prior; the training sampler is untouched.
    """

    priority = 'LOW'

    def __init__(self, num_samples: int = 5000, batch_size: Optional[int] = None) -> None:
        self.num_samples, self.batch_size = num_samples, batch_size

    @torch.no_grad()
    def before_train(self, runner) -> None:
        model = unwrap(runner.model)
        if not isinstance(model, LatentPriorFitter):
            raise TypeError(f'LatentPriorHook needs a LatentPriorFitter model (lmdkit.models.contracts: '
                            f'fit_latent_prior(), prior_count); {type(model).__name__} is not one')  # fmt: skip
        if int(model.prior_count) > 0:
            runner.logger.info(f'latent prior already fitted on {int(model.prior_count)} samples')
            return
        batch_size = self.batch_size or runner.train_dataloader.batch_size or 64
        n = fit_prior_on_dataset(model, runner.train_dataloader.dataset, self.num_samples, batch_size)
        std = float(model.prior_std.mean())
        runner.logger.info(f'latent prior fitted on {n} training samples (mean per-position std {std:.4f})')
