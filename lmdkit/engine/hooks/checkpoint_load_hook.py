"""Checks the checkpoint a run loads (``load_from`` / ``--resume`` / ``tools/test.py``) before MMEngine applies it."""

from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch.distributed.fsdp import FullyShardedDataParallel

from lmdkit.models.weights_check import check_weights, drop_mismatched
from lmdkit.registry import HOOKS


class ResumeError(ValueError):
    """A checkpoint cannot be resumed from (it holds weights, not a training state)."""


@HOOKS.register_module()
class CheckpointLoadHook(Hook):
    """Refuses a checkpoint that does not fit the model, before any of it is loaded.

    MMEngine loads ``load_from`` non-strictly: a file of another model size trains or tests on with a partly random
    model and only "size mismatch" warnings, and ``--resume`` fails later inside the optimiser. This hook compares
    the file's weights with the model (``lmdkit.models.weights_check``) and raises one ``WeightsMismatchError``
    listing missing, unexpected and mis-shaped keys and the config setting that likely differs. With
    ``strict=False`` it loads what fits and logs what was left at initial values. On resume it also requires the
    training state (``meta`` with the iteration) and logs which file the run resumed from.

    The training program (``lmdkit.apis.train``) and ``tools/test.py`` add it whenever a checkpoint is loaded.

    Args:
        path: the file the run loads (named in messages).
        strict: refuse a checkpoint that does not fit (default); False loads what fits.
        resume: the run resumes training from ``path`` (always strict).
    """

    priority = 'VERY_HIGH'

    def __init__(self, path: str, strict: bool = True, resume: bool = False) -> None:
        if resume and not strict:
            raise ValueError('CheckpointLoadHook: a resumed run needs every weight and optimiser state; '
                             'strict=False applies to load_from only')  # fmt: skip
        self.path, self.strict, self.resume = path, strict, resume

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.resume:
            meta: Optional[dict] = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
            if not isinstance(meta, dict) or 'iter' not in meta:
                raise ResumeError(
                    f'{self.path}: cannot resume from it: it has no training state (meta with the iteration), only '
                    f'weights. Start a new run from its weights with --cfg-options load_from={self.path} instead '
                    'of --resume.'
                )
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if any(isinstance(m, FullyShardedDataParallel) for m in model.modules()):
            # FSDP1 (FSDPStrategy) units hold flat shards and take over state_dict(): comparing would misreport
            # shapes and disturb their lazy initialisation. FSDP2 (FSDP2Strategy) is checked like a plain model.
            runner.logger.warning(f'{self.path}: not checked against the model (FSDP1 units); FSDP2Strategy is')
            return
        if self.resume:  # resuming needs every weight (and the optimiser state that goes with them)
            how = ('a resumed run cannot load partially, but a new run can start from what fits: '
                   'load_from=dict(path=..., strict=False)')  # fmt: skip
        else:
            how = ('or load what fits, leaving the rest at initial values: tools/test.py --partial, or '
                   'load_from=dict(path=..., strict=False) in the config (on the command line: --cfg-options '
                   'load_from.path=... load_from.strict=False)')  # fmt: skip
        fit = check_weights(model, checkpoint, self.path, self.strict, runner.cfg.get('model'), how)
        if not fit.ok:
            drop_mismatched(checkpoint, fit)
            runner.logger.warning(f'partial load of {self.path}; left at initial values:\n  {fit.describe()}')
        if self.resume:
            meta = checkpoint['meta']
            runner.logger.info(f'resuming from {self.path} (iteration {meta["iter"]}, epoch {meta.get("epoch", 0)})')
        else:
            runner.logger.info(f'loaded weights from {self.path}' + ('' if fit.ok else ' (partially)'))


def configure_checkpoint_load(cfg, partial: bool = False) -> None:
    """Add a ``CheckpointLoadHook`` for the checkpoint ``cfg`` loads (``load_from`` / ``resume``).

    ``load_from`` may be a path or ``dict(path=..., strict=False)`` (partial loading); it is replaced by the path,
    which is what MMEngine's runners take. ``partial`` (``tools/test.py --partial``) has the effect of
    ``strict=False``.
    """
    load_from = cfg.get('load_from')
    if load_from is None:
        return
    strict = not partial
    if isinstance(load_from, dict):
        unknown = sorted(set(load_from) - {'path', 'strict'})
        if 'path' not in load_from or unknown:
            raise ValueError(f'load_from: expected a path or dict(path=..., strict=...), got {dict(load_from)}')
        strict = strict and bool(load_from.get('strict', True))
        load_from = load_from['path']
    cfg.load_from = load_from
    hook = dict(type='CheckpointLoadHook', path=load_from, strict=strict, resume=bool(cfg.get('resume')))
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks', []) if h.get('type') != 'CheckpointLoadHook'] + [hook]
