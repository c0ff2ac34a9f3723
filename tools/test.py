"""Evaluate a checkpoint on a config's test set and print/save the metrics.

python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out metrics.json] [--partial]

The checkpoint must fit the config's model (missing, unexpected or mis-shaped keys are refused, naming them);
``--partial`` loads what fits and reports what was left at initial values.
"""

import argparse
import json
import os
import os.path as osp

from mmengine.config import DictAction
from mmengine.runner import Runner

from lmdkit.apis.evaluate import prepare_test_config
from lmdkit.apis.train import ConfigError
from lmdkit.engine import exit_distributed_process, init_distributed, shutdown_distributed
from lmdkit.fileio import atomic_write
from lmdkit.utils.config_check import ConfigCycleError, ConfigOverrideError


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
    try:  # the test program: lmdkit.apis.evaluate
        cfg = prepare_test_config(args.config, args.checkpoint, args.cfg_options, args.work_dir, args.launcher,
                                  args.partial)  # fmt: skip
    except (FileNotFoundError, ConfigCycleError, ConfigOverrideError, ConfigError) as e:
        raise SystemExit(str(e)) from None
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
