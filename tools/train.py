"""Train any lmdkit config.

python tools/train.py configs/lmd/lmd_vitp_fmnist-mini_cos.py [--work-dir DIR] [--resume [CKPT]] [--amp [bf16|fp16]]
                     [--tracker tensorboard,wandb,mlflow] [--accumulate N] [--auto-scale-lr] [--cfg-options k=v ...]
tools/dist_train.sh CONFIG NUM_PROCS [args]      # torchrun; gloo on CPU-only machines, nccl on GPUs

A config with a ``strategy`` (MMEngine's FlexibleRunner: ``DDPStrategy``, ``FSDPStrategy``, ``DeepSpeedStrategy``;
see configs/_base_/strategies/) trains through that strategy; without one, through MMEngine's Runner and DDP.
``compile = True`` (or a dict of ``torch.compile`` options) in a config compiles the training step.
A config's ``recipe`` (images per step, lr per 256 images, epochs) is resolved for the number of ranks at start
(``lmdkit.engine.recipe``); the log says what was chosen.

The training program itself is ``lmdkit.apis.train`` (``build_runner``): this script parses the command line,
starts the process group and holds the work-dir lock around it, so Python and the command line train the same way.
"""

import argparse
import os
import sys

from mmengine.config import DictAction
from mmengine.dist import barrier, get_rank

from lmdkit.apis.prerequisites import MissingPrerequisiteError, PrerequisiteError
from lmdkit.apis.train import ConfigError, TrainOptions, prepare_config, runner_for
from lmdkit.engine import exit_distributed_process, init_distributed, shutdown_distributed
from lmdkit.engine.hooks import InterruptCheckpointHook
from lmdkit.engine.precision import add_amp_argument
from lmdkit.engine.trackers import TRACKERS
from lmdkit.engine.workdir_lock import WorkDirLockedError, lock_work_dir_for_job
from lmdkit.utils.config_check import ConfigCycleError, ConfigOverrideError


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
    add_amp_argument(parser)
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


def options_of(args: argparse.Namespace) -> TrainOptions:
    """The command line's run options."""
    trackers = [*args.tracker, *(['tensorboard'] if args.tensorboard else [])]
    return TrainOptions(
        work_dir=args.work_dir,
        resume=args.resume,
        amp=args.amp,
        trackers=trackers,
        accumulate=args.accumulate,
        auto_scale_lr=args.auto_scale_lr,
        launcher=args.launcher,
    )


def main() -> tuple:
    """Train; returns whether this process ran distributed and whether a signal interrupted training."""
    args = parse_args()
    options = options_of(args)
    try:  # every check before anything starts: config problems, missing prerequisites (with the commands)
        cfg = prepare_config(args.config, args.cfg_options, options)
    except (
        FileNotFoundError,
        ConfigCycleError,
        ConfigOverrideError,
        ConfigError,
        MissingPrerequisiteError,
        PrerequisiteError,
    ) as e:
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
    try:
        try:
            runner = runner_for(cfg, options)
        except ConfigError as e:
            raise SystemExit(str(e)) from None
        runner.train()
        distributed = runner.distributed
        interrupted = any(isinstance(h, InterruptCheckpointHook) and h.interrupted_at for h in runner.hooks)
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
