"""Import time of lmdkit's layers, here against another checkout: fresh interpreters, alternated, median of N.

    python tools/analysis/import_time.py --repo /path/to/other/checkout --runs 7

Each run starts a new Python that imports one module and reports its wall time, the lmdkit modules it loaded and
whether matplotlib or the engine came with it. Runs of the two trees alternate, so a machine that slows down part
of the way affects both; the table gives medians. Without ``--repo`` only this tree is measured.
"""

import argparse
import json
import os.path as osp
import statistics
import subprocess
import sys

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
MODULES = ('lmdkit.models', 'lmdkit.models.backbones.dit', 'lmdkit.engine', 'lmdkit.apis')
PROBE = """
import json, sys, time
t = time.perf_counter()
import {module}
seconds = time.perf_counter() - t
print(json.dumps(dict(seconds=seconds, lmdkit=sum(m.startswith('lmdkit') for m in sys.modules),
                      matplotlib='matplotlib' in sys.modules, engine='lmdkit.engine' in sys.modules)))
"""


def probe(tree: str, module: str) -> dict:
    """One fresh interpreter importing ``module`` from ``tree``."""
    out = subprocess.run([sys.executable, '-c', PROBE.format(module=module)], cwd=tree, capture_output=True,
                         text=True, env={'PYTHONPATH': tree, 'PATH': '/usr/bin:/bin'})  # fmt: skip
    if out.returncode:
        return dict(error=out.stderr.strip().splitlines()[-1])
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--repo', help='another lmdkit checkout to compare with (e.g. a worktree of an older commit)')
    parser.add_argument('--runs', type=int, default=7)
    parser.add_argument('--modules', nargs='+', default=list(MODULES))
    args = parser.parse_args()
    trees = {'this tree': ROOT, **({'--repo': osp.abspath(args.repo)} if args.repo else {})}
    print(f'| module | tree | median s (of {args.runs}) | lmdkit modules | matplotlib | engine |')
    print('|---|---|---|---|---|---|')
    for module in args.modules:
        runs = {name: [] for name in trees}
        for _ in range(args.runs):
            for name, tree in trees.items():  # alternated
                runs[name].append(probe(tree, module))
        for name, results in runs.items():
            if 'error' in results[0]:
                print(f'| `{module}` | {name} | {results[0]["error"]} | | | |')
                continue
            median = statistics.median(r['seconds'] for r in results)
            last = results[-1]
            flags = f'{last["lmdkit"]} | {last["matplotlib"]} | {last["engine"]}'
            print(f'| `{module}` | {name} | {median:.2f} | {flags} |')


if __name__ == '__main__':
    main()
