"""MIT / MLI / MLT of finished (or running) runs from their per-iteration records, as a Markdown table.

    python tools/analysis/efficiency.py WORK_DIR [WORK_DIR ...] [--skip 20 --span 50 --tol 0.01] [--json out.json]

Definitions: docs/metrics.md. The first run is the reference of the Δ columns.
"""

import argparse
import json
import os.path as osp

from lmdkit.evaluation.efficiency import efficiency_metrics
from lmdkit.utils.run_summary import RunSummary
from lmdkit.visualization.curves import read_record


def fmt(value, digits: int = 3) -> str:
    return f'{value:.{digits}f}' if isinstance(value, (int, float)) else str(value)


def delta(value, ref) -> str:
    if not isinstance(value, (int, float)) or not isinstance(ref, (int, float)) or ref == 0:
        return 'n/a'
    return f'{100 * (value - ref) / ref:+.1f}%'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('runs', nargs='+')
    parser.add_argument('--skip', type=int, default=20)
    parser.add_argument('--span', type=int, default=50)
    parser.add_argument('--tol', type=float, default=0.01)
    parser.add_argument('--json', help='also write the numbers here')
    args = parser.parse_args()
    results = []
    for run in args.runs:
        rows = read_record(run)
        m = efficiency_metrics([r['loss'] for r in rows], [r['time'] for r in rows], args.skip, args.span, args.tol)
        val = None
        if osp.isdir(run) and RunSummary.exists(run):
            val = (RunSummary.read(run).val or {}).get('recon/nmse')
        results.append(dict(run=osp.basename(osp.normpath(run)), val_nmse=val, **m))
    ref = results[0]
    print('| run | iters | MIT (s) | MLI | MLT (s) | ΔMIT | ΔMLT | L_start → L_end | val nMSE@0.75 |')
    print('|---|---|---|---|---|---|---|---|---|')
    for r in results:
        print(f"| {r['run']} | {r['iters']} | {fmt(r['MIT'], 4)} | {fmt(r['MLI'], 1)} | {fmt(r['MLT'], 2)} | "
              f"{delta(r['MIT'], ref['MIT'])} | {delta(r['MLT'], ref['MLT'])} | "
              f"{fmt(r['L_start'])} → {fmt(r['L_end'])} | {fmt(r['val_nmse'])} |")  # fmt: skip
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=2)


if __name__ == '__main__':
    main()
