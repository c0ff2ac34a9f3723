"""The training program: a config and run options -> a ready MMEngine runner. ``tools/train.py``, Python code and
the benchmark tools all train through it, so a run started either way is the same run.

    runner = build_runner('configs/lmd/lmd_vitp_fmnist-mini_cos.py', work_dir='work_dirs/x', resume='auto')
    runner.train()

Two steps, which a launcher may separate (``tools/train.py`` starts the process group and locks the work dir in
between): :func:`prepare_config` completes and checks the config (work dir, precision, trackers, the safety hooks
every run gets, which checkpoint to resume), :func:`runner_for` resolves the batch recipe for this job's ranks and
picks the runner (MMEngine's ``Runner``, or ``FlexibleRunner`` for a config with a ``strategy``).
"""

import copy
import os
import os.path as osp
from dataclasses import dataclass, fields
from typing import Optional, Sequence, Union

import torch
from mmengine.config import Config
from mmengine.dist import broadcast_object_list, get_rank, get_world_size
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper
from mmengine.runner import Runner

from ..datasets.latent_cache import bind_projector
from ..engine.hooks import configure_checkpoint_load
from ..engine.precision import apply_amp, wrapper_entries
from ..engine.recipe import Recipe, apply_recipe
from ..engine.trackers import TrackerUnavailableError, needs_file_store, tracker_backend
from ..fileio import latest_checkpoint
from ..models.algorithms.base import BaseAlgorithm
from ..registry import DATASETS, HOOKS, MODELS, OPTIM_WRAPPERS
from ..utils.config_check import check_config, check_values, load_config, name_list_items
from .prerequisites import check_prerequisites
from .setup_env import setup_process

#: hooks every run gets unless its config turns them off (top-level key: the hook's arguments, or None = off):
#: the record and exact resume first (where configs used to list them), the safety hooks after the config's own
RUN_HOOKS = (('exact_resume', 'ExactResumeHook'), ('train_record', 'TrainRecordHook'))
SAFETY_HOOKS = (('nonfinite_guard', 'NonFiniteGuardHook'), ('interrupt_checkpoint', 'InterruptCheckpointHook'))
#: strategies whose PyTorch/DeepSpeed engines need CUDA devices (FSDP1, which MMEngine's FSDPStrategy wraps,
#: refuses CPU modules: "FSDP needs a non-CPU accelerator device")
CUDA_ONLY_STRATEGIES = ('FSDPStrategy', 'DeepSpeedStrategy', 'ColossalAIStrategy')


class ConfigError(ValueError):
    """A config or run option that cannot train; the message says what to change."""


@dataclass
class TrainOptions:
    """How to run a config, beside the config itself (``tools/train.py``'s switches).

    Attributes:
        work_dir: where logs, checkpoints, records and ``summary.json`` go (default: the config's ``work_dir``, else
            ``work_dirs/<config name>``).
        resume: ``'auto'`` (the newest complete checkpoint in the work dir, or a fresh run), a checkpoint path, or
            None (the config decides: ``resume=True`` in it means ``'auto'``).
        amp: mixed precision (``lmdkit.engine.precision``): 'bf16' (or True) autocasts on any device, 'fp16'
            autocasts with a dynamic loss scaler (CUDA only); None or False: full precision.
        trackers: also log to these (``lmdkit.engine.trackers``: tensorboard, wandb, mlflow).
        accumulate: micro-batches per optimiser step (default: what the recipe needs).
        auto_scale_lr: configs without a ``recipe``: scale lr by the total batch / ``auto_scale_lr.base_batch_size``.
        launcher: 'none', 'pytorch' or 'slurm' (how the processes were started).
    """

    work_dir: Optional[str] = None
    resume: Optional[str] = None
    amp: Union[bool, str, None] = None
    trackers: Sequence[str] = ()
    accumulate: Optional[int] = None
    auto_scale_lr: bool = False
    launcher: str = 'none'


def train_options(**options) -> TrainOptions:
    """``TrainOptions`` from keyword arguments; an unknown one is named with the known ones."""
    known = {f.name for f in fields(TrainOptions)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f'unknown training option(s) {unknown}; the options are {sorted(known)}')
    return TrainOptions(**options)


def _apply_precision(cfg: Config, amp: Union[bool, str, None]) -> None:
    if cfg.get('optim_wrapper') is None:
        return
    try:
        apply_amp(cfg.optim_wrapper, amp, 'cuda' if torch.cuda.is_available() else 'cpu')
    except ValueError as e:
        raise ConfigError(str(e)) from None


def _guard_wrappers(cfg: Config) -> None:
    """With the non-finite guard on, plain ``OptimWrapper`` entries become ``GuardedOptimWrapper``: the same wrapper
    with the seam the guard decides through (the config keeps its meaning)."""
    hooks = cfg.get('custom_hooks', [])
    if cfg.get('optim_wrapper') is None or not any(_is_a(h, 'NonFiniteGuardHook') for h in hooks):
        return
    for entry in wrapper_entries(cfg.optim_wrapper):
        kind = entry.get('type', 'OptimWrapper')  # a name ('OptimWrapper', 'mmengine.OptimWrapper') or the class
        if (OPTIM_WRAPPERS.get(kind) if isinstance(kind, str) else kind) is OptimWrapper:
            entry['type'] = 'GuardedOptimWrapper'


def _apply_trackers(cfg: Config, trackers: Sequence[str], name: str) -> None:
    for tracker in dict.fromkeys(trackers):  # ordered, once each
        try:
            backend = tracker_backend(tracker, name)
        except (TrackerUnavailableError, ValueError) as e:
            raise ConfigError(str(e)) from None
        if needs_file_store(tracker):
            os.environ.setdefault('MLFLOW_ALLOW_FILE_STORE', 'true')
        cfg.visualizer.vis_backends = [*cfg.visualizer.get('vis_backends', []), backend]


def _is_a(hook: dict, name: str) -> bool:
    """Whether a hook config builds the registered hook ``name`` or a subclass of it (a ``type`` given as a name,
    a scoped name or the class; ``MaskScheduleHook`` is a ``ProgressHook``)."""
    kind = hook.get('type')
    cls = HOOKS.get(kind) if isinstance(kind, str) else kind
    return isinstance(cls, type) and issubclass(cls, HOOKS.get(name))


def add_training_hooks(cfg: Config) -> Config:
    """Add the hooks every run has (``RUN_HOOKS``: ``ExactResumeHook``, ``TrainRecordHook``; top-level keys give
    their arguments, None turns one off) and the hooks the config's algorithm needs
    (``BaseAlgorithm.training_hooks``: ``ProgressHook`` for a scheduled mask ratio), each unless the config lists
    its type (or a subclass of it: ``MaskScheduleHook`` is a ``ProgressHook``) already; returns ``cfg``, changed in
    place. Call ``setup_process`` (or ``register_all_modules``) first."""
    _add_program_hooks(cfg, RUN_HOOKS, first=True)
    model = cfg.get('model') or {}
    kind = model.get('type')
    algorithm = MODELS.get(kind) if isinstance(kind, str) else kind
    if not (isinstance(algorithm, type) and issubclass(algorithm, BaseAlgorithm)):
        return cfg
    listed = cfg.get('custom_hooks', [])
    needed = [h for h in algorithm.training_hooks(model) if not any(_is_a(c, h['type']) for c in listed)]
    if needed:
        cfg.custom_hooks = [*cfg.get('custom_hooks', []), *needed]
    return cfg


def _add_program_hooks(cfg: Config, table: Sequence[tuple], first: bool) -> None:
    """Each ``(key, hook)`` of ``table`` with the top-level ``key``'s arguments: added (before or after the config's
    own hooks) unless listed; a listed one (saved configs of older runs list them) takes the key's arguments; a key
    set to None turns the hook off, listed or not."""
    hooks, added = list(cfg.get('custom_hooks', [])), []
    for key, hook in table:
        kwargs = cfg.get(key, {})
        if kwargs is None:
            hooks = [h for h in hooks if not _is_a(h, hook)]
            continue
        at = [i for i, h in enumerate(hooks) if _is_a(h, hook)]
        if at:
            hooks[at[0]] = {**hooks[at[0]], **kwargs}
        else:
            added.append(dict(type=hook, **kwargs))
    cfg.custom_hooks = [*added, *hooks] if first else [*hooks, *added]


def _add_safety_hooks(cfg: Config) -> None:
    _add_program_hooks(cfg, SAFETY_HOOKS, first=False)
    # with per-rank random streams, checkpoints carry every rank's RNG state (ExactResumeHook collects them)
    hooks = cfg.get('custom_hooks', [])
    if any(_is_a(h, 'ExactResumeHook') for h in hooks) and not any(_is_a(h, 'RngGatherHook') for h in hooks):
        cfg.custom_hooks = [*cfg.custom_hooks, dict(type='RngGatherHook')]


def _launcher_rank() -> int:
    """This process's rank as its launcher set it, before any process group exists (torchrun: RANK; Slurm:
    SLURM_PROCID; a single process: 0)."""
    return int(os.environ.get('RANK', os.environ.get('SLURM_PROCID', '0')))


def _resolve_resume(cfg: Config, resume: Optional[str]) -> None:
    if resume is None and cfg.get('resume') and not cfg.get('load_from'):
        resume = 'auto'  # resume=True in a config: MMEngine would look for the latest checkpoint itself
    if resume == 'auto':
        found = latest_checkpoint(cfg.work_dir)
        cfg.resume = bool(found)  # nothing saved yet: a fresh run (from the config's load_from, if any)
        if found:
            cfg.load_from = found
        elif _launcher_rank() == 0:  # no process group yet: every rank of a torchrun job would say it otherwise
            start = f'from {cfg.load_from}' if cfg.get('load_from') else 'from scratch'
            print_log(f'--resume: no checkpoint in {cfg.work_dir}; starting a fresh run {start}', logger='current')
    elif resume is not None:
        if not osp.exists(resume):  # DeepSpeed checkpoints are folders
            raise ConfigError(f'--resume {resume}: no such file (without a path, --resume takes the newest '
                              f'checkpoint in {cfg.work_dir})')  # fmt: skip
        cfg.resume, cfg.load_from = True, resume


def config_and_name(config: Union[str, Config], cfg_options: Optional[dict] = None) -> tuple:
    """``(cfg, name)``: the config of a path (loaded, ``_base_`` resolved, checked for cycles) or a copy of a
    ``Config``, with ``cfg_options`` merged; ``name`` is the file's name without ``.py`` (work dirs, trackers).
    Sets the process up first (``setup_process``)."""
    setup_process()
    if isinstance(config, str):
        return load_config(config, cfg_options), osp.splitext(osp.basename(config))[0]
    cfg = copy.deepcopy(config)
    if cfg_options:
        cfg.merge_from_dict(name_list_items(cfg, cfg_options))
    return cfg, osp.splitext(osp.basename(config.filename or 'config'))[0]


def default_work_dir(cfg: Config, name: str, work_dir: Optional[str] = None) -> str:
    """``work_dir`` if given, else the config's own, else ``work_dirs/<config name>``."""
    return work_dir or cfg.get('work_dir') or osp.join('./work_dirs', name)


def prepare_config(
    config: Union[str, Config], cfg_options: Optional[dict] = None, options: Optional[TrainOptions] = None
) -> Config:
    """The complete, checked training config of ``config`` (a path or a ``Config``, copied) run with ``options``.

    Raises ``ConfigError`` (unknown component keys, impossible counts, a bad option) or
    ``MissingPrerequisiteError`` (a checkpoint, dataset or cache that does not exist yet, with the commands that
    make it) before anything is built.
    """
    options = options or TrainOptions()
    source = config if isinstance(config, str) else (config.filename or 'the config')  # what messages name
    cfg, name = config_and_name(config, cfg_options)
    cfg.launcher = options.launcher
    cfg.work_dir = default_work_dir(cfg, name, options.work_dir)
    bind_projector(cfg)
    _apply_precision(cfg, options.amp)
    _apply_trackers(cfg, options.trackers, name)
    add_training_hooks(cfg)
    _add_safety_hooks(cfg)
    _guard_wrappers(cfg)
    # typos in component keys and counts that would fail only after training stop here, before anything is built
    problems = check_config(cfg) + check_values(cfg)
    if problems:
        raise ConfigError(f'{source}: {len(problems)} config problem(s):\n  ' + '\n  '.join(problems))
    # a missing checkpoint, dataset or latent cache: say which commands make it, before anything starts
    check_prerequisites(cfg, source)
    _resolve_resume(cfg, options.resume)
    configure_checkpoint_load(cfg)  # refuse a checkpoint that does not fit the model, naming the file
    return cfg


def resolve_recipe(cfg: Config, accumulate: Optional[int] = None, auto_scale_lr: bool = False) -> Recipe:
    """Per-rank batch, accumulation, lr and iterations for this job's ranks (``lmdkit.engine.recipe``); logs them.
    Rank 0 measures the training set when the recipe needs its size and tells the other ranks."""

    def dataset_size() -> int:
        # ranks that listed different files would train different lengths: one measurement, broadcast
        size = [None]
        if get_rank() == 0:
            print_log('recipe: measuring the training set (set recipe.dataset_size to skip this)', logger='current')
            size[0] = len(DATASETS.build(copy.deepcopy(cfg.train_dataloader.dataset)))
        broadcast_object_list(size)
        return size[0]

    recipe = apply_recipe(cfg, get_world_size(), accumulate, auto_scale_lr, dataset_size)
    if get_rank() == 0:
        print_log(f'recipe: {recipe.describe()}', logger='current')
    return recipe


def prepare_strategy(cfg: Config) -> None:
    """Check a FlexibleRunner ``strategy`` against this machine and make DDP work on CPU modules (gloo)."""
    strategy = cfg.strategy
    kind = strategy.get('type', '')
    if kind in CUDA_ONLY_STRATEGIES and not torch.cuda.is_available():
        raise ConfigError(f'strategy {kind} needs CUDA GPUs and this machine has none; on CPU train without '
                          '`strategy` (DDP over gloo: tools/dist_train.sh) or with DDPStrategy')  # fmt: skip
    if kind == 'DeepSpeedStrategy':
        try:
            import deepspeed  # noqa: F401
        except ImportError:
            raise ConfigError(
                'DeepSpeedStrategy needs the optional package deepspeed (pip install deepspeed)'
            ) from None
        # DeepSpeed owns the step: its wrapper takes only the optimiser (built by the config's constructor, so
        # paramwise_cfg still applies); precision and clipping are the strategy's (bf16=..., gradient_clipping=...)
        keep = {'optimizer', 'constructor', 'paramwise_cfg'}
        dropped = sorted(set(cfg.optim_wrapper) - keep - {'type'})
        if dropped:
            print(f'DeepSpeedStrategy: optim_wrapper keys {dropped} ignored (set them in `strategy`)')
        cfg.optim_wrapper = dict(
            type='DeepSpeedOptimWrapper', **{k: v for k, v in cfg.optim_wrapper.items() if k in keep}
        )
    runner_wrapper = cfg.pop('model_wrapper_cfg', None) or {}  # Runner's DDP settings (default_runtime.py)
    if kind == 'DDPStrategy':  # the same wrapper as the plain Runner (CPU-safe DDP, the config's DDP options)
        strategy.model_wrapper = {**runner_wrapper, **(strategy.get('model_wrapper') or {})}


def runner_for(cfg: Config, options: Optional[TrainOptions] = None) -> Runner:
    """The runner of a prepared config (``prepare_config``): the recipe resolved for this job's ranks (start the
    process group first when there are several), then MMEngine's Runner, or its FlexibleRunner for a ``strategy``.
    The process was set up by ``prepare_config`` (``setup_process``)."""
    options = options or TrainOptions()
    resolve_recipe(cfg, options.accumulate, options.auto_scale_lr)
    if cfg.get('strategy') is None:
        return Runner.from_cfg(cfg)
    from mmengine.runner import FlexibleRunner

    prepare_strategy(cfg)
    return FlexibleRunner.from_cfg(cfg)


def build_runner(config: Union[str, Config], cfg_options: Optional[dict] = None, **options) -> Runner:
    """The whole training program for ``config`` (a path or a ``Config``) in one call: ``prepare_config`` then
    ``runner_for``. ``options`` are ``TrainOptions`` fields (``work_dir``, ``resume``, ``amp``, ``trackers``,
    ``accumulate``, ``auto_scale_lr``, ``launcher``)."""
    opts = train_options(**options)
    return runner_for(prepare_config(config, cfg_options, opts), opts)
