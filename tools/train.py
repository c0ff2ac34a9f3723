"""Train any lmdkit config.

python tools/train.py configs/lmd/lmd_vitp_fmnist-mini_cos.py [--work-dir DIR] [--resume [CKPT]] [--amp]
                     [--tracker tensorboard,wandb,mlflow] [--accumulate N] [--auto-scale-lr] [--cfg-options k=v ...]
tools/dist_train.sh CONFIG NUM_PROCS [args]      # torchrun; gloo on CPU-only machines, nccl on GPUs

A config with a ``strategy`` (MMEngine's FlexibleRunner: ``DDPStrategy``, ``FSDPStrategy``, ``DeepSpeedStrategy``;
see configs/_base_/strategies/) trains through that strategy; without one, through MMEngine's Runner and DDP.
``compile = True`` (or a dict of ``torch.compile`` options) in a config compiles the training step.
A config's ``recipe`` (images per step, lr per 256 images, epochs) is resolved for the number of ranks at start
(``lmdkit.engine.recipe``); the log says what was chosen.
"""

import argparse
import copy
import os
import os.path as osp
import sys

import torch
from mmengine.config import Config, DictAction
from mmengine.dist import barrier, broadcast_object_list, get_rank, get_world_size
from mmengine.logging import print_log
from mmengine.runner import Runner

from lmdkit.apis.prerequisites import MissingPrerequisiteError, PrerequisiteError, check_prerequisites
from lmdkit.datasets.latent_cache import bind_projector
from lmdkit.engine import Recipe, apply_recipe, exit_distributed_process, init_distributed, shutdown_distributed
from lmdkit.engine.hooks import configure_checkpoint_load
from lmdkit.engine.trackers import TRACKERS, TrackerUnavailableError, needs_file_store, tracker_backend
from lmdkit.engine.workdir_lock import WorkDirLockedError, lock_work_dir_for_job
from lmdkit.registry import DATASETS
from lmdkit.utils import register_all_modules
from lmdkit.utils.config_check import ConfigCycleError, check_config, check_values, load_config


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model with an lmdkit config')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='where logs, checkpoints, records and summary.json go')
    parser.add_argument(
        '--tracker',
        type=lambda s: s.split(','),
        default=[],
        metavar='NAME[,NAME]',
        help=f'also log to these trackers, of {",".join(sorted(TRACKERS))} (WORK_DIR/<time>/vis_data; wandb offline '
        'unless WANDB_MODE is set, mlflow to MLFLOW_TRACKING_URI or a local file store)',
    )
    parser.add_argument('--tensorboard', action='store_true', help='the same as --tracker tensorboard')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from CKPT; without a value, from the latest checkpoint in the work dir',
    )
    parser.add_argument('--amp', action='store_true', help='mixed precision: bf16 autocast on CPU, AMP on CUDA')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='configs without a `recipe`: scale lr by (ranks x batch x accumulate) / auto_scale_lr.base_batch_size',
    )
    parser.add_argument(
        '--accumulate',
        type=int,
        metavar='N',
        help='micro-batches per optimiser step (default: what the recipe needs to fit train_dataloader.batch_size)',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. train_cfg.max_iters=100 model.mask_scheduler.type=UniformMaskScheduler',
    )
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none', help='job launcher')
    parser.add_argument('--local-rank', '--local_rank', type=int, default=0, help='set by torch.distributed.launch')
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_config(args: argparse.Namespace) -> Config:
    """Load the config and apply the command-line switches."""
    try:
        cfg = load_config(args.config, args.cfg_options)
    except (FileNotFoundError, ConfigCycleError) as e:
        raise SystemExit(str(e)) from None
    cfg.launcher = args.launcher
    if args.work_dir:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    bind_projector(cfg)
    if args.amp:
        if torch.cuda.is_available():
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
        else:
            cfg.optim_wrapper.type = 'AutocastOptimWrapper'
            cfg.optim_wrapper.setdefault('dtype', 'bfloat16')
    trackers = dict.fromkeys([*args.tracker, *(['tensorboard'] if args.tensorboard else [])])  # ordered, once each
    for name in trackers:
        try:
            backend = tracker_backend(name, osp.splitext(osp.basename(args.config))[0])
        except (TrackerUnavailableError, ValueError) as e:
            raise SystemExit(str(e)) from None
        if needs_file_store(name):
            os.environ.setdefault('MLFLOW_ALLOW_FILE_STORE', 'true')
        cfg.visualizer.vis_backends = [*cfg.visualizer.get('vis_backends', []), backend]
    # safety hooks every run gets (config keys nonfinite_guard / interrupt_checkpoint: arguments, or None = off)
    for key, hook in (('nonfinite_guard', 'NonFiniteGuardHook'), ('interrupt_checkpoint', 'InterruptCheckpointHook')):
        kwargs = cfg.get(key, {})
        if kwargs is not None and not any(h.get('type') == hook for h in cfg.get('custom_hooks', [])):
            cfg.custom_hooks = [*cfg.get('custom_hooks', []), dict(type=hook, **kwargs)]
    # with per-rank random streams, checkpoints carry every rank's RNG state (ExactResumeHook collects them)
    hooks = [h.get('type') for h in cfg.get('custom_hooks', [])]
    if 'ExactResumeHook' in hooks and 'RngGatherHook' not in hooks:
        cfg.custom_hooks = [*cfg.custom_hooks, dict(type='RngGatherHook')]
    if args.resume is None and cfg.get('resume') and not cfg.get('load_from'):
        args.resume = 'auto'  # resume=True in a config: MMEngine would look for the latest checkpoint itself
    if args.resume == 'auto':
        # the newest complete checkpoint: checkpoints are written atomically, but MMEngine's `last_checkpoint`
        # pointer is not — a kill while it is written leaves it empty
        found = latest_checkpoint(cfg.work_dir)
        cfg.resume = bool(found)  # nothing saved yet: a fresh run (from the config's load_from, if any)
        if found:
            cfg.load_from = found
    elif args.resume is not None:
        if not osp.exists(args.resume):  # DeepSpeed checkpoints are folders
            raise SystemExit(f'--resume {args.resume}: no such file (without a path, --resume takes the newest '
                             f'checkpoint in {cfg.work_dir})')  # fmt: skip
        cfg.resume, cfg.load_from = True, args.resume
    configure_checkpoint_load(cfg)  # refuse a checkpoint that does not fit the model, naming the file
    return cfg


#: strategies whose PyTorch/DeepSpeed engines need CUDA devices (FSDP1, which MMEngine's FSDPStrategy wraps,
#: refuses CPU modules: "FSDP needs a non-CPU accelerator device")
CUDA_ONLY_STRATEGIES = ('FSDPStrategy', 'DeepSpeedStrategy', 'ColossalAIStrategy')


def prepare_strategy(cfg: Config) -> None:
    """Check a FlexibleRunner ``strategy`` against this machine and make DDP work on CPU modules (gloo)."""
    strategy = cfg.strategy
    kind = strategy.get('type', '')
    if kind in CUDA_ONLY_STRATEGIES and not torch.cuda.is_available():
        raise SystemExit(f'strategy {kind} needs CUDA GPUs and this machine has none; on CPU train without '
                         '`strategy` (DDP over gloo: tools/dist_train.sh) or with DDPStrategy')  # fmt: skip
    if kind == 'DeepSpeedStrategy':
        try:
            import deepspeed  # noqa: F401
        except ImportError:
            raise SystemExit('DeepSpeedStrategy needs the optional package deepspeed (pip install deepspeed)') from None
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


def resolve_recipe(cfg: Config, args: argparse.Namespace) -> Recipe:
    """Per-rank batch, accumulation, lr and iterations for this job's ranks (lmdkit.engine.recipe); logs them."""

    def dataset_size() -> int:
        # rank 0 measures and tells the others: ranks that listed different files would train different lengths
        size = [None]
        if get_rank() == 0:
            print_log('recipe: measuring the training set (set recipe.dataset_size to skip this)', logger='current')
            size[0] = len(DATASETS.build(copy.deepcopy(cfg.train_dataloader.dataset)))
        broadcast_object_list(size)
        return size[0]

    recipe = apply_recipe(cfg, get_world_size(), args.accumulate, args.auto_scale_lr, dataset_size)
    if get_rank() == 0:
        print_log(f'recipe: {recipe.describe()}', logger='current')
    return recipe


def build_runner(cfg: Config):
    """MMEngine's Runner, or its FlexibleRunner when the config names a ``strategy``."""
    if cfg.get('strategy') is None:
        return Runner.from_cfg(cfg)
    from mmengine.runner import FlexibleRunner

    prepare_strategy(cfg)
    return FlexibleRunner.from_cfg(cfg)


def latest_checkpoint(work_dir: str):
    """``last_checkpoint``'s target when it names an existing file, else the highest ``iter_N.pth`` (None: none)."""
    import glob
    import re

    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            target = f.read().strip()
        if target and osp.isfile(target):
            return target
    found = [(int(m.group(1)), p) for p in glob.glob(osp.join(work_dir, 'iter_*.pth'))
             if (m := re.search(r'iter_(\d+)\.pth$', p))]  # fmt: skip
    return max(found)[1] if found else None


def main() -> tuple:
    """Train; returns whether this process ran distributed and whether a signal interrupted training."""
    args = parse_args()
    # Denormal floats (e.g. Adam moments of long-unused codebook entries) make CPU kernels up to 50x slower.
    torch.set_flush_denormal(True)
    register_all_modules()
    cfg = build_config(args)
    # typos in component keys and counts that would fail only after training stop here, before anything is built
    problems = check_config(cfg) + check_values(cfg)
    if problems:
        raise SystemExit(f'{args.config}: {len(problems)} config problem(s):\n  ' + '\n  '.join(problems))
    try:  # a missing checkpoint, dataset or latent cache: say which commands make it, before anything starts
        check_prerequisites(cfg, args.config)
    except (MissingPrerequisiteError, PrerequisiteError) as e:
        raise SystemExit(str(e)) from None
    # MMEngine's init_dist assumes CUDA; start the process group ourselves (gloo without a GPU).
    init_distributed(args.launcher)
    try:  # one run per work dir: a second one would overwrite this one's checkpoints and records
        lock = lock_work_dir_for_job(cfg.work_dir)
    except WorkDirLockedError as e:  # every rank: the message once (rank 0), then a clean exit
        if get_rank() == 0:
            print(e, file=sys.stderr, flush=True)
        barrier()  # no rank exits (and gets the job torn down) before rank 0 has said why
        shutdown_distributed()
        raise SystemExit(1) from None
    if args.resume == 'auto' and not cfg.resume:
        start = f'from {cfg.load_from}' if cfg.get('load_from') else 'from scratch'
        print_log(f'--resume: no checkpoint in {cfg.work_dir}; starting a fresh run {start}', logger='current')
    try:
        resolve_recipe(cfg, args)
        runner = build_runner(cfg)
        runner.train()
        distributed = runner.distributed
        interrupted = any(getattr(h, 'interrupted_at', None) for h in runner.hooks)
        del runner  # its DDP wrapper holds the process group
    finally:
        if lock is not None:
            lock.release()
    shutdown_distributed()
    return distributed, interrupted


if __name__ == '__main__':
    distributed, interrupted = main()
    code = 130 if interrupted else 0  # 128 + SIGINT, as shells report an interrupted command
    if distributed:
        exit_distributed_process(code)
    sys.exit(code)
