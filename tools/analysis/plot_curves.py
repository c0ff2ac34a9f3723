"""Plot smoothed training loss and mask ratio of one or more runs.

python tools/analysis/plot_curves.py WORK_DIR [WORK_DIR ...] [--x wall] [--out curves.png]
"""

import argparse
import os.path as osp

from lmdkit.visualization import plot_loss_and_mask_ratio, read_record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('runs', nargs='+', help='work dirs (or train_record.jsonl files)')
    parser.add_argument('--labels', nargs='+', help='legend labels (default: folder names)')
    parser.add_argument('--x', choices=['iter', 'wall'], default='iter', help='x axis: iterations or seconds')
    parser.add_argument('--span', type=int, default=50, help='EMA span of the smoothed curve')
    parser.add_argument('--title')
    parser.add_argument('--out', default='curves.png')
    args = parser.parse_args()
    labels = args.labels or [osp.basename(osp.normpath(r if osp.isdir(r) else osp.dirname(r))) for r in args.runs]
    if len(labels) != len(args.runs):
        parser.error(f'{len(labels)} labels for {len(args.runs)} runs')
    runs = [(label, read_record(path)) for label, path in zip(labels, args.runs)]
    print(plot_loss_and_mask_ratio(runs, args.out, x_axis=args.x, span=args.span, title=args.title))


if __name__ == '__main__':
    main()
