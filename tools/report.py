"""One static HTML page (no server, no network) for runs and ablation grids.

python tools/report.py WORK_DIR [WORK_DIR ...] [--out report.html] [--title TEXT]

Each WORK_DIR is a run's work dir or an ablation's work_root (tools/ablate.py). The page holds the results table
(MIT/MLI/MLT with Δ against the first run, validation and generative metrics), loss and validation curves against
iterations and wall-clock time, the mask-ratio schedule and the runs' reconstruction/sample grids.
"""

import argparse

from lmdkit.apis.report import build_report


def main() -> None:
    parser = argparse.ArgumentParser(description='Write an HTML report of runs or ablation grids')
    parser.add_argument('work_dirs', nargs='+', help='run work dirs and/or ablation work roots')
    parser.add_argument('--out', default='report.html', help='the HTML file to write')
    parser.add_argument('--title', help='page title (default: the folder names)')
    args = parser.parse_args()
    try:
        made = build_report(args.work_dirs, args.out, args.title)
    except FileNotFoundError as e:
        raise SystemExit(str(e)) from None
    print(f'{made["out_file"]}: {len(made["runs"])} run(s), {made["figures"]} figure(s)')


if __name__ == '__main__':
    main()
