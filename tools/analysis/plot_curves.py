"""Plot smoothed training loss and mask ratio of one or more runs, or a validation metric against time.

python tools/analysis/plot_curves.py WORK_DIR [WORK_DIR ...] [--x wall] [--out curves.png]
python tools/analysis/plot_curves.py WORK_DIR [WORK_DIR ...] --metric accuracy/top1 --x wall --out acc.png
"""

import argparse
import os.path as osp

from lmdkit.visualization import plot_loss_and_mask_ratio, plot_val_metric, read_record, read_val_history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('runs', nargs='+', help='work dirs (or train_record.jsonl files)')
    parser.add_argument('--labels', nargs='+', help='legend labels (default: folder names)')
    parser.add_argument('--x', choices=['iter', 'wall'], default='iter', help='x axis: iterations or seconds')
    parser.add_argument('--span', type=int, default=50, help='EMA span of the smoothed curve')
    parser.add_argument('--metric', help='plot this validation metric (from summary.json) instead of the loss')
    parser.add_argument('--title')
    parser.add_argument('--out', default='curves.png')
    args = parser.parse_args()
    labels = args.labels or [osp.basename(osp.normpath(r if osp.isdir(r) else osp.dirname(r))) for r in args.runs]
    if len(labels) != len(args.runs):
        parser.error(f'{len(labels)} labels for {len(args.runs)} runs')
    if args.metric:
        runs = [(label, read_val_history(path)) for label, path in zip(labels, args.runs)]
        print(plot_val_metric(runs, args.metric, args.out, x_axis=args.x, title=args.title))
        return
    runs = [(label, read_record(path)) for label, path in zip(labels, args.runs)]
    print(plot_loss_and_mask_ratio(runs, args.out, x_axis=args.x, span=args.span, title=args.title))


if __name__ == '__main__':
    main()
