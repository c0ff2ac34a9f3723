"""Plot mask-ratio schedules against training progress: every registered scheduler, or the ones named.

    python tools/analysis/plot_mask_schedule.py [--schedulers CosineMaskScheduler ...] [--iters 1000] [--out FILE]
    python tools/analysis/plot_mask_schedule.py --config configs/lmd/lmd_vitp_fmnist-mini_ps.py

Each scheduler is evaluated at every optimizer step of a run of ``--iters`` steps (random ones with their seed,
so the plot shows what training will draw). With ``--config`` the config's own scheduler is plotted.
"""

import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

import matplotlib  # noqa: E402

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from lmdkit.apis import register_all_modules  # noqa: E402
from lmdkit.registry import MASK_SCHEDULERS  # noqa: E402
from lmdkit.utils.config_check import load_config  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--schedulers', nargs='+', help='registered names (default: all)')
    parser.add_argument('--config', help="plot this config's model.mask_scheduler instead")
    parser.add_argument('--iters', type=int, default=1000, help='optimizer steps of the run')
    parser.add_argument('--out', default='mask_schedules.png')
    args = parser.parse_args()
    register_all_modules()
    if args.config:
        cfgs = [dict(load_config(args.config).model.mask_scheduler)]
    else:
        names = args.schedulers or sorted(MASK_SCHEDULERS.module_dict)
        cfgs = [dict(type=name) for name in names]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    for i, cfg in enumerate(cfgs):
        scheduler = MASK_SCHEDULERS.build(cfg)
        steps = range(args.iters + 1)
        ratios = [scheduler(step / args.iters, step) for step in steps]
        style = dict(linestyle='none', marker='.', markersize=1.5) if 'Random' in cfg['type'] else dict(linewidth=1.8)
        ax.plot([s / args.iters for s in steps], ratios, color=f'C{i}', label=cfg['type'], **style)
    ax.set_xlabel('training progress (optimizer step / total)')
    ax.set_ylabel('mask ratio')
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc='lower right', markerscale=6)
    fig.tight_layout()
    fig.savefig(args.out)
    print(args.out)


if __name__ == '__main__':
    main()
