"""Evaluate a checkpoint on a config's test set and print/save the metrics.

python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out metrics.json] [--partial]

The checkpoint must fit the config's model (missing, unexpected or mis-shaped keys are refused, naming them);
``--partial`` loads what fits and reports what was left at initial values.
"""

import argparse
import json
import os
import os.path as osp

import torch
from mmengine.config import DictAction
from mmengine.runner import Runner

from lmdkit.apis import register_all_modules
from lmdkit.datasets.latent_cache import bind_projector
from lmdkit.engine import exit_distributed_process, init_distributed, shutdown_distributed
from lmdkit.engine.hooks import configure_checkpoint_load
from lmdkit.fileio import atomic_write
from lmdkit.utils.config_check import ConfigCycleError, load_config


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a checkpoint with an lmdkit config')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--work-dir')
    parser.add_argument('--out', help='write the metrics as JSON here (default: WORK_DIR/test_metrics.json)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument(
        '--partial', action='store_true', help='load the weights that fit and leave the rest at initial values'
    )
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none')
    parser.add_argument('--local-rank', '--local_rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main() -> bool:
    """Run the evaluation; returns whether this process ran distributed."""
    args = parse_args()
    # Denormal floats (e.g. Adam moments of long-unused codebook entries) make CPU kernels up to 50x slower.
    torch.set_flush_denormal(True)
    register_all_modules()
    if not osp.exists(args.checkpoint):  # a file, or an exported model folder
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    try:
        cfg = load_config(args.config, args.cfg_options)
    except (FileNotFoundError, ConfigCycleError) as e:
        raise SystemExit(str(e)) from None
    cfg.launcher = args.launcher
    cfg.work_dir = (
        args.work_dir or cfg.get('work_dir') or osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    )
    cfg.load_from = args.checkpoint
    cfg.resume = False  # a run's saved config may say resume=True: testing loads weights only
    configure_checkpoint_load(cfg, partial=args.partial)
    bind_projector(cfg)
    init_distributed(args.launcher)
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    is_main, distributed = runner.rank == 0, runner.distributed
    del runner  # its DDP wrapper holds the process group
    shutdown_distributed()
    if is_main:
        out = args.out or osp.join(cfg.work_dir, 'test_metrics.json')
        atomic_write(out, lambda f: json.dump(dict(checkpoint=args.checkpoint, metrics=metrics), f, indent=2), mode='w')
        print(json.dumps(metrics, indent=2))
    return distributed


if __name__ == '__main__':
    if main():
        exit_distributed_process(0)
