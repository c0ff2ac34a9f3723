"""A training recipe stated as a paper states it, resolved for the machine the job runs on.

A config's ``recipe`` gives images per optimiser step (all ranks together), the learning rate per
``base_batch_size`` images and the length in epochs::

    recipe = dict(batch_size=2048, base_lr=1.5e-4, epochs=400)   # LMD ViT-B on ImageNet-1k

At start (:func:`apply_recipe`) the per-rank batch, gradient accumulation, learning rate (linear rule, as MMEngine's
``auto_scale_lr`` scales it, but counting accumulation) and iteration counts follow from the number of ranks and the
dataset length, so ``tools/dist_train.sh CONFIG 2`` and ``… 64`` train the same recipe. ``train_dataloader.batch_size``
is the largest per-rank batch that fits; when the recipe's share per rank is larger, micro-batches are accumulated.
Parameter schedulers written in epochs (``by_epoch=True``) are converted to iterations. Anything a config sets itself
is kept ("pinned"): ``optim_wrapper.optimizer.lr``, ``train_cfg.max_iters``, ``--accumulate N``.
"""

import math
from dataclasses import dataclass, field
from typing import Callable, List, Optional

from mmengine.config import Config

#: the loop that runs ``accumulate`` micro-batches per iteration (lmdkit/engine/loops.py)
ACCUMULATING_LOOP = 'AccumulatingTrainLoop'


@dataclass(frozen=True)
class Recipe:
    """What the runner trains with, derived from a config's ``recipe`` (or pinned by the config)."""

    world_size: int
    rank_batch: int  # images per rank per micro-batch
    accumulate: int  # micro-batches per optimiser step
    lr: Optional[float]  # None: the optimiser's own default (no lr anywhere in the config)
    lr_source: str  # how lr came about, for the log line
    max_iters: Optional[int]  # None: a loop that is not iteration-based sets its own length
    max_iters_pinned: bool
    epochs: Optional[float]  # None when the dataset length is unknown (no recipe)
    iters_per_epoch: Optional[float]
    schedulers: List[str] = field(default_factory=list)  # converted epoch-based schedulers, for the log line

    @property
    def images_per_step(self) -> int:
        return self.world_size * self.rank_batch * self.accumulate

    def describe(self) -> str:
        """One line: ``2 ranks × 256 × accumulate 4 = 2048 images/step; lr 1.2e-3 (…); 400 epochs = 250,228 it``."""
        ranks = f'{self.world_size} rank{"s" if self.world_size > 1 else ""}'
        parts = [f'{ranks} × {self.rank_batch} × accumulate {self.accumulate} = {self.images_per_step:,} images/step']
        parts.append(f'lr {self.lr:.4g} ({self.lr_source})' if self.lr is not None else f'lr: {self.lr_source}')
        if self.epochs is not None:
            how = 'pinned by train_cfg.max_iters' if self.max_iters_pinned else f'{self.iters_per_epoch:,.1f}/epoch'
            parts.append(f'{_num(self.epochs)} epochs = {self.max_iters:,} iterations ({how})')
        elif self.max_iters is not None:
            parts.append(f'{self.max_iters:,} iterations')
        parts += self.schedulers
        return '; '.join(parts)


def _num(x: float) -> str:
    return f'{x:,.0f}' if float(x).is_integer() else f'{x:,.3g}'


def split_batch(batch_size: int, world_size: int, rank_cap: int, accumulate: Optional[int] = None) -> tuple:
    """(per-rank micro-batch, accumulate) giving ``batch_size`` images per step over ``world_size`` ranks.

    Without ``accumulate``, the fewest micro-batches whose size fits in ``rank_cap`` and divides the rank's share.
    """
    if batch_size % world_size:
        raise ValueError(f'recipe.batch_size={batch_size} images per step cannot be split over {world_size} ranks; '
                         f'use a number of ranks that divides it, or set recipe.batch_size')  # fmt: skip
    share = batch_size // world_size
    if accumulate is not None:
        if accumulate < 1 or share % accumulate:
            raise ValueError(f'--accumulate {accumulate}: each of {world_size} ranks has {share} images per step, '
                             f'which {accumulate} micro-batches cannot split evenly')  # fmt: skip
        if share // accumulate > rank_cap:
            least = math.ceil(share / rank_cap)
            raise ValueError(f'--accumulate {accumulate} gives {share // accumulate} images per rank and micro-batch, '
                             f'above train_dataloader.batch_size={rank_cap} (the most one rank holds); accumulate '
                             f'at least {least} or raise train_dataloader.batch_size')  # fmt: skip
        return share // accumulate, accumulate
    for n in range(max(1, math.ceil(share / rank_cap)), share + 1):
        if share % n == 0:
            return share // n, n
    raise AssertionError('unreachable: n = share always divides')


def _epoch_schedulers(cfg: Config, iters_per_epoch: float, max_iters: int) -> List[str]:
    """Rewrite ``by_epoch=True`` parameter schedulers in iterations (in place); describe each."""
    notes, kept = [], []
    for s in _scheduler_list(cfg):
        if not s.get('by_epoch', False):
            kept.append(s)
            continue
        begin, end = s.get('begin', 0), s.get('end')
        s['by_epoch'] = False
        s['begin'] = min(max_iters, round(begin * iters_per_epoch))
        s['end'] = max_iters if end is None else min(max_iters, round(end * iters_per_epoch))
        if 'T_max' in s:
            s['T_max'] = max(1, round(s['T_max'] * iters_per_epoch))
        if 'step_size' in s:
            s['step_size'] = max(1, round(s['step_size'] * iters_per_epoch))
        if 'milestones' in s:
            s['milestones'] = [round(m * iters_per_epoch) for m in s['milestones']]
        for key in ('total_steps', 'T_0', 'periods'):  # other schedulers' lengths: not converted, refuse clearly
            if key in s:
                raise ValueError(f'param_scheduler {s["type"]}: {key} in epochs is not converted to iterations; '
                                 f'write the scheduler with by_epoch=False and {key} in iterations')  # fmt: skip
        s.pop('convert_to_iter_based', None)
        span = f'{s["type"]} epochs {_num(begin)}–{"end" if end is None else _num(end)}'
        if s['begin'] >= s['end']:  # e.g. a cosine phase after a warm-up longer than a pinned max_iters
            notes.append(f'{span}: beyond the last iteration, dropped')
            continue
        kept.append(s)
        notes.append(f'{span} = iterations {s["begin"]:,}–{s["end"]:,}')
    if 'param_scheduler' in cfg and cfg.param_scheduler is not None:
        cfg.param_scheduler = kept
    return notes


def _scale_each_wrapper(cfg: Config, images: int) -> str:
    """``--auto-scale-lr`` for a dict of optimiser wrappers: every ``optim_wrapper.<name>.optimizer.lr`` × images /
    ``auto_scale_lr.base_batch_size`` (in place); describes what it did."""
    base = (cfg.get('auto_scale_lr') or {}).get('base_batch_size')
    if base is None:
        raise KeyError('--auto-scale-lr needs auto_scale_lr.base_batch_size in the config')
    scaled = []
    for name, sub in cfg.optim_wrapper.items():
        if isinstance(sub, dict) and 'lr' in sub.get('optimizer', {}):
            sub.optimizer.lr = sub.optimizer.lr * images / base
            scaled.append(f'{name} {sub.optimizer.lr:.4g}')
    if not scaled:
        raise KeyError('--auto-scale-lr: no optim_wrapper.<name>.optimizer.lr to scale in this config')
    return f'{", ".join(scaled)} (× {images}/{base} each)'


def _scheduler_list(cfg: Config) -> list:
    schedulers = cfg.get('param_scheduler') or []
    return [schedulers] if isinstance(schedulers, dict) else list(schedulers)


def apply_recipe(
    cfg: Config,
    world_size: int,
    accumulate: Optional[int] = None,
    scale_lr: bool = False,
    dataset_size: Optional[Callable[[], int]] = None,
) -> Recipe:
    """Resolve the config's recipe for ``world_size`` ranks and write it into ``cfg`` (in place).

    Args:
        cfg: the full config; ``recipe`` may be absent (then only ``accumulate`` and ``scale_lr`` act).
        world_size: number of training processes.
        accumulate: micro-batches per optimiser step (``--accumulate``); None: the recipe decides (1 without one).
        scale_lr: ``--auto-scale-lr`` for configs without a recipe: lr × images per step /
            ``auto_scale_lr.base_batch_size``, counting accumulation (MMEngine's own scaling ignores it).
        dataset_size: returns the training set's length when the recipe needs it and does not state
            ``dataset_size`` (building a dataset can take a while, so it is called only then).
    """
    recipe = cfg.get('recipe')
    loader = cfg.train_dataloader
    optimizer = cfg.optim_wrapper.get('optimizer', {})
    train_cfg = cfg.train_cfg
    loop = train_cfg.get('type', 'IterBasedTrainLoop')
    iteration_based = loop in ('IterBasedTrainLoop', ACCUMULATING_LOOP)
    # MMEngine's own switch counts as --accumulate (its runner iterations would count micro-batches; ours do not)
    accumulate = accumulate or cfg.optim_wrapper.get('accumulative_counts')
    if recipe:
        unknown = set(recipe) - {'batch_size', 'base_lr', 'base_batch_size', 'epochs', 'dataset_size'}
        if unknown:
            raise KeyError(f'recipe: unknown key(s) {sorted(unknown)}; known: batch_size, base_lr, '
                           'base_batch_size, epochs, dataset_size')  # fmt: skip
        if 'batch_size' not in recipe:
            raise KeyError(f'recipe.batch_size (images per optimiser step) is missing (recipe = {dict(recipe)})')
        if iteration_based and 'epochs' not in recipe and train_cfg.get('max_iters') is None:
            raise KeyError('recipe.epochs is missing and train_cfg.max_iters is not set; state one of them')
        rank_batch, accumulate = split_batch(int(recipe['batch_size']), world_size, loader.batch_size, accumulate)
    else:
        rank_batch, accumulate = loader.batch_size, accumulate or 1
    images = world_size * rank_batch * accumulate

    # learning rate: pinned by the config, the recipe's linear rule, or --auto-scale-lr on a pinned lr
    lr, lr_source = optimizer.get('lr'), 'pinned by optim_wrapper.optimizer.lr'
    several = 'optimizer' not in cfg.optim_wrapper  # a dict of wrappers (GANs): optim_wrapper.<name>.optimizer
    if several and recipe and 'base_lr' in recipe:
        raise ValueError('recipe.base_lr needs one optimiser (optim_wrapper.optimizer); this config has several '
                         'wrappers: set each optim_wrapper.<name>.optimizer.lr, drop recipe.base_lr')  # fmt: skip
    if several:
        lr_source = 'per optimiser wrapper (optim_wrapper.<name>.optimizer.lr)'
        if scale_lr:
            lr_source = _scale_each_wrapper(cfg, images)
    elif recipe and lr is None and 'base_lr' in recipe:
        base = recipe.get('base_batch_size', 256)
        lr, lr_source = recipe['base_lr'] * images / base, f'{recipe["base_lr"]:.4g} × {images}/{base}'
    elif scale_lr:
        auto = cfg.get('auto_scale_lr') or {}
        if 'base_batch_size' not in auto:
            raise KeyError('--auto-scale-lr needs auto_scale_lr.base_batch_size in the config')
        if lr is None:
            raise KeyError('--auto-scale-lr needs optim_wrapper.optimizer.lr in the config')
        lr, lr_source = lr * images / auto['base_batch_size'], f'{lr:.4g} × {images}/{auto["base_batch_size"]}'
    elif lr is None:
        lr_source = 'the optimiser default'
    if cfg.get('auto_scale_lr'):
        cfg.auto_scale_lr.enable = False  # scaled here, counting accumulation; MMEngine must not scale again

    # length: epochs of the dataset, unless train_cfg.max_iters pins it
    epochs = iters_per_epoch = None
    notes: List[str] = []
    max_iters = train_cfg.get('max_iters')
    pinned = max_iters is not None
    if not iteration_based:  # e.g. MMEngine's EpochBasedTrainLoop: its length is its own (max_epochs)
        if recipe and 'epochs' in recipe:
            raise ValueError(f'recipe.epochs needs an iteration-based loop; train_cfg.type is {loop!r}: set its '
                             'max_epochs instead')  # fmt: skip
        if accumulate > 1:
            raise ValueError(f'gradient accumulation needs an iteration-based loop; train_cfg.type is {loop!r}')
    elif recipe and 'epochs' in recipe:
        size = recipe.get('dataset_size') or (dataset_size() if dataset_size else None)
        if not size:
            raise ValueError('recipe: the dataset length is unknown; set recipe.dataset_size or pass dataset_size')
        epochs, iters_per_epoch = float(recipe['epochs']), size / images
        if max_iters is None:
            max_iters = max(1, math.ceil(epochs * iters_per_epoch))
        notes = _epoch_schedulers(cfg, iters_per_epoch, max_iters)
    elif max_iters is None:
        raise KeyError('train_cfg.max_iters is missing; set it, or state a `recipe` (batch_size, base_lr, epochs)')
    elif any(s.get('by_epoch', False) for s in _scheduler_list(cfg)):
        raise ValueError('param_scheduler has by_epoch=True entries, which need recipe.epochs to become iterations')

    if lr is not None:
        optimizer['lr'] = lr
    loader.batch_size = rank_batch
    if iteration_based:  # iterations = optimiser steps; resumes jump the sampler
        train_cfg.type = ACCUMULATING_LOOP
        train_cfg.accumulate = accumulate
        train_cfg.max_iters = int(max_iters)
    if accumulate > 1:
        if 'optimizer' not in cfg.optim_wrapper:
            raise ValueError('gradient accumulation needs one optimiser (optim_wrapper.optimizer); this config '
                             'has several optimiser wrappers')  # fmt: skip
        cfg.optim_wrapper.accumulative_counts = accumulate
    length = None if max_iters is None else int(max_iters)
    return Recipe(world_size, rank_batch, accumulate, lr, lr_source, length, pinned, epochs, iters_per_epoch,
                  notes)  # fmt: skip


__all__ = ['ACCUMULATING_LOOP', 'Recipe', 'apply_recipe', 'split_batch']
