"""Print a config fully resolved: ``_base_`` files merged, ``{{_base_.x}}`` substituted, --cfg-options applied.

    python tools/misc/print_config.py CONFIG [--cfg-options k=v ...] [--out resolved.py]

Configs are Python files and run when read: only open configs you trust.
"""

import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from mmengine.config import DictAction  # noqa: E402

from lmdkit.utils.config_check import load_config  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override keys (k=v)')
    parser.add_argument('--out', help='also write the resolved config here (a config that runs as it is)')
    args = parser.parse_args()
    cfg = load_config(args.config, args.cfg_options)
    print(f'# resolved from {args.config}\n{cfg.pretty_text}')
    if args.out:
        cfg.dump(args.out)
        print(f'# written to {args.out}')


if __name__ == '__main__':
    main()
