"""Saves reconstruction grids (original | masked input | reconstruction) during and after training."""

import os
import os.path as osp
from typing import Optional

import torch
from mmengine.dataset import default_collate
from mmengine.dist import is_main_process

from lmdkit.models.contracts import MaskedReconstructor, Reconstructor
from lmdkit.registry import HOOKS
from lmdkit.utils.images import to_uint8
from lmdkit.visualization.grids import save_image_rows

from ..model_wrappers import unwrap
from .exact_resume_hook import get_rng_state, set_rng_state
from .grid_hook import PeriodicGridHook


@HOOKS.register_module()
class ReconstructionVisHook(PeriodicGridHook):
    """Every ``interval`` iterations (0: only at the end) reconstruct the first ``num_images`` samples of the
    validation set (or the training set) and save ``WORK_DIR/vis/recon_iter_<N>.png``; the final grid is also
    copied to ``WORK_DIR/reconstruction.png``. Masked models (LMD/MAE) show original | masked input (fixed masks)
    | reconstruction; autoencoders show original | reconstruction.

    Args:
        interval: iterations between grids; 0 = only after training.
        num_images: samples shown.
        mask_ratio: ratio used; None = the model's ``val_mask_ratio``.
        seed: seed of the fixed masks (does not touch the training random stream).
    """

    final_name = 'reconstruction.png'

    def __init__(self, interval: int = 0, num_images: int = 8, mask_ratio: Optional[float] = None, seed: int = 0):
        super().__init__(interval)
        self.num_images, self.mask_ratio, self.seed = num_images, mask_ratio, seed

    def _batch(self, runner) -> dict:
        loader = runner.val_dataloader if runner.val_loop is not None else runner.train_dataloader
        dataset = getattr(loader, 'dataset', None)
        if dataset is None:  # a config dict not built yet
            dataset = runner.train_dataloader.dataset
        state = get_rng_state()  # random transforms must not shift training's random stream
        try:
            samples = [dataset[i] for i in range(min(self.num_images, len(dataset)))]
        finally:
            set_rng_state(state)
        return default_collate(samples)

    @torch.no_grad()
    def save_grid(self, runner, tag: str) -> Optional[str]:
        # every rank runs the model (a sharded model gathers its parameters collectively); rank 0 draws
        model = unwrap(runner.model)
        if not isinstance(model, (MaskedReconstructor, Reconstructor)):
            return None
        was_training = model.training
        model.eval()
        data = model.data_preprocessor(self._batch(runner), False)
        inputs = data['inputs']
        pre = model.data_preprocessor
        if isinstance(model, MaskedReconstructor):  # original | masked input | reconstruction
            first = next(iter(inputs.values())) if isinstance(inputs, dict) else inputs  # cache records are dicts
            noise = model.fixed_noise(first.shape[0], self.seed, first.device)
            ratio = self.mask_ratio if self.mask_ratio is not None else model.val_mask_ratio
            out = model.reconstruct(inputs, ratio, noise)
            names = {'input': 'original', 'masked': f'masked {ratio:.0%}', 'reconstruction': 'reconstruction'}
        else:  # autoencoder: original | reconstruction
            out = model.reconstruct(inputs)
            names = {'input': 'original', 'reconstruction': 'reconstruction'}
        model.train(was_training)
        if not is_main_process():
            return None
        rows = {label: to_uint8(out[key], pre.mean, pre.std) for key, label in names.items()}
        folder = osp.join(runner.work_dir, 'vis')
        os.makedirs(folder, exist_ok=True)
        path = osp.join(folder, f'recon_{tag}.png')
        return save_image_rows(rows, path, title=f'{runner.experiment_name} — {tag}')
