"""Make what a config needs before it trains (dataset, projector or pretrained checkpoints, latent caches), in order.

python tools/prepare.py CONFIG [--dry-run] [--cfg-options k=v ...]

Reads the config's ``prerequisites`` (lmdkit.apis.prerequisites), and those of the configs that make them, and runs
the missing steps with their measured times. Rerun after an interruption: training steps resume from their latest
checkpoint and latent caches keep their finished shards. Run from the repository root (configs name paths relative
to it).
"""

import argparse
import os.path as osp

from mmengine.config import DictAction

from lmdkit.apis.prerequisites import PrerequisiteError, describe_plan, plan_steps, run_steps
from lmdkit.utils.config_check import ConfigCycleError, ConfigOverrideError


def main() -> None:
    parser = argparse.ArgumentParser(description='Make the missing prerequisites of a config')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--dry-run', action='store_true', help='print the steps and their commands; run nothing')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config keys')
    args = parser.parse_args()
    if not osp.isfile('tools/train.py'):
        raise SystemExit('run tools/prepare.py from the lmdkit repository root: its steps call tools/*.py and '
                         'configs name paths relative to it')  # fmt: skip
    try:
        steps = plan_steps(args.config, args.cfg_options)
    except (PrerequisiteError, FileNotFoundError, ConfigCycleError, ConfigOverrideError) as e:
        raise SystemExit(f'{args.config}: {e}') from None
    if not steps:
        print(f'{args.config}: nothing to prepare (every prerequisite exists)')
        return
    print(describe_plan(steps), flush=True)
    if not args.dry_run:
        run_steps(steps)


if __name__ == '__main__':
    main()
