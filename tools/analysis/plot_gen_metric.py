"""Sample quality against training time: one line per run from the evaluations tools/eval_gen.py merged into it.

    python tools/analysis/plot_gen_metric.py RUN_A RUN_B [--labels dit mdtv2] --net convnet_fmnist \
        [--metric fid | class_consistency | precision | recall | inception_score] [--x wall|median_wall|iter|budget]
        [--s-per-iter 0.6 0.37 ...] --out fid.png

``--x budget`` puts each run at iterations × its ``--s-per-iter`` (one per run): the step times measured on an idle
machine, for runs whose recorded seconds other work inflated (an equal-time grid fixes iterations from them).

Prints the points as a Markdown table too.
"""

import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from lmdkit.visualization import generative_history, plot_val_metric  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('work_dirs', nargs='+')
    parser.add_argument('--net', required=True, help='feature network name used with eval_gen.py')
    parser.add_argument('--metric', default='fid')
    parser.add_argument('--labels', nargs='+')
    parser.add_argument(
        '--x',
        choices=['wall', 'median_wall', 'iter', 'budget'],
        default='wall',
        help='recorded training seconds, iterations x median step time, iterations, or iterations x --s-per-iter',
    )
    parser.add_argument('--s-per-iter', type=float, nargs='+', help='with --x budget: seconds per iteration, per run')
    parser.add_argument('--out', required=True)
    parser.add_argument('--title')
    args = parser.parse_args()
    labels = args.labels or [osp.basename(osp.normpath(d)) for d in args.work_dirs]
    if len(labels) != len(args.work_dirs):
        raise SystemExit('--labels needs one label per work dir')
    runs = [(label, generative_history(d, args.net)) for label, d in zip(labels, args.work_dirs)]
    if args.x == 'budget':
        if not args.s_per_iter or len(args.s_per_iter) != len(runs):
            raise SystemExit('--x budget needs --s-per-iter with one value per work dir')
        for (_, history), s in zip(runs, args.s_per_iter):
            for h in history:
                h['budget'] = h['iter'] * s
    budget = args.x == 'budget'
    print(f'| run | iter | training s | iter x median step s |{" iter x s/iter |" if budget else ""} {args.metric} |'
          f'\n|---|---|---|---|{"---|" if budget else ""}---|')  # fmt: skip
    for label, history in runs:
        for h in history:
            value = h.get(args.metric, float('nan'))
            extra = f' {h["budget"]:.0f} |' if budget else ''
            print(f'| {label} | {h["iter"]} | {h["wall"]:.0f} | {h["median_wall"]:.0f} |{extra} {value:.4g} |')
    title = args.title or f'{args.metric} ({args.net} features)'
    print(f'wrote {plot_val_metric(runs, args.metric, args.out, args.x, title)}')


if __name__ == '__main__':
    main()
