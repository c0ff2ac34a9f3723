"""Saves sample grids of a diffusion model (a row per class or per prompt) during and after training (EMA weights if
kept)."""

import os
import os.path as osp
from typing import Optional, Sequence

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import EMAHook

from lmdkit.models.contracts import Sampler
from lmdkit.registry import HOOKS
from lmdkit.utils.images import to_uint8
from lmdkit.visualization.grids import save_image_rows

from ..model_wrappers import unwrap
from .grid_hook import PeriodicGridHook


@HOOKS.register_module()
class SampleVisHook(PeriodicGridHook):
    """Every ``interval`` iterations (0: only at the end) draw ``num_per_class`` samples of each class in
    ``classes`` with the model's sampling settings and a fixed seed, one row per class, to
    ``WORK_DIR/vis/samples_iter_<N>.png``; the final grid is copied to ``WORK_DIR/samples.png``. A text-conditioned
    model draws ``num_per_class`` samples of each caption in ``prompts`` instead, one row per prompt.

    The EMA model of an ``EMAHook`` is used when there is one, unless ``use_ema=False`` (short runs: an EMA with
    decay 0.999 over 2,000 iterations still carries the early weights). Sampling draws from its own seeded
    generator, so the training random stream is untouched.
    """

    final_name = 'samples.png'

    def __init__(self, interval: int = 0, num_per_class: int = 8, classes: Optional[Sequence[int]] = None,
                 seed: int = 0, use_ema: bool = True, prompts: Optional[Sequence[str]] = None,
                 **sampling) -> None:  # fmt: skip
        super().__init__(interval)
        if prompts is not None and (isinstance(prompts, str) or not prompts):
            raise ValueError(f'SampleVisHook: prompts must be a non-empty list of captions, got {prompts!r}')
        self.num_per_class, self.classes, self.seed, self.use_ema = num_per_class, classes, seed, use_ema
        self.prompts = list(prompts) if prompts is not None else None
        self.sampling = sampling

    def _model(self, runner):
        if self.use_ema:  # False: the raw weights (an EMA over a short run still carries the early weights)
            for hook in runner.hooks:
                if isinstance(hook, EMAHook) and hasattr(hook, 'ema_model'):
                    return hook.ema_model.module
        return unwrap(runner.model)

    @torch.no_grad()
    def save_grid(self, runner, tag: str) -> Optional[str]:
        # every rank runs the model (a sharded model gathers its parameters collectively); rank 0 draws
        model = self._model(runner)
        if not isinstance(model, Sampler):
            return None
        generator = torch.Generator().manual_seed(self.seed)
        if self.prompts is not None:
            names = self.prompts
            captions = [p for p in self.prompts for _ in range(self.num_per_class)]
            out = model.sample(len(captions), captions=captions, generator=generator, **self.sampling)
        else:
            classes = list(self.classes) if self.classes is not None else list(range(max(model.num_classes, 1)))
            names = [f'class {c}' if model.num_classes > 0 else 'samples' for c in classes]
            labels = torch.tensor(classes).repeat_interleave(self.num_per_class)
            out = model.sample(len(labels), labels if model.num_classes > 0 else None, generator=generator,
                               **self.sampling)  # fmt: skip
        if not is_main_process():
            return None
        pre = model.data_preprocessor
        images = to_uint8(out['images'], pre.mean, pre.std)  # (N, C, H, W)
        rows = {name: images[i * self.num_per_class : (i + 1) * self.num_per_class] for i, name in enumerate(names)}
        folder = osp.join(runner.work_dir, 'vis')
        os.makedirs(folder, exist_ok=True)
        return save_image_rows(rows, osp.join(folder, f'samples_{tag}.png'), title=f'{runner.experiment_name} — {tag}')
