"""Run an ablation: named variants one after another, then one table and its plots.

    python tools/ablate.py configs/ablations/grids/lmd_fmnist_schedulers.py [--dry-run] [--only NAME ...]
    python tools/ablate.py ABLATION --gpus 4      # one variant per GPU, four at a time
    python tools/ablate.py ABLATION --table-only  # rebuild table and plots from the finished variants

An ablation config (a Python file) holds:
    variants = [dict(name='lmd-cos', config='configs/lmd/...py', cfg_options={...}), ...]   # and/or
    grid = dict(config='configs/...py', axes=dict(scheduler=dict(cos={...}, uni={...}), projector=dict(...)))
    cfg_options = {...}        # applied to every variant (e.g. a shorter schedule)
    work_root = 'work_dirs/ablations/NAME'
    score = 'top1'             # optional: the column of the bar plot (default: score_column's choice)

Variants run sequentially (timings of parallel runs sharing a device are not comparable), each in its own work
dir under work_root; with ``--gpus N`` on a machine with N GPUs, N variants run at once, each alone on its own GPU
(``CUDA_VISIBLE_DEVICES``), its output in WORK_DIR/ablate.log. A variant whose summary.json shows every planned
iteration trained is skipped; one with checkpoints and no summary, or a summary of fewer iterations (a session cut
short), resumes; the table lists complete variants only.
Writes work_root/table.md, work_root/table.csv, loss_vs_time.png and loss_vs_iter.png (iterations: readable
when other work shared the machine) and score_COLUMN.png (the score as bars, Δ against the first scored
variant); the first variant is the reference of the Δ columns. Classification runs add top-1/top-5 accuracy and
MAT@1/MAT@5 columns and accuracy_vs_{time,iter}.png; runs scored by tools/eval_gen.py --work-dir add FID-<net>
and cls-<net> (class consistency) of their latest evaluation.
"""

import argparse
import csv
import itertools
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config

from lmdkit.apis.results import add_deltas, columns_of, fmt, higher_is_better, row_of, score_column
from lmdkit.fileio import latest_checkpoint
from lmdkit.utils.config_check import load_config, name_list_items
from lmdkit.utils.run_summary import RunSummary
from lmdkit.visualization import (
    plot_loss_and_mask_ratio,
    plot_score_bars,
    plot_val_metric,
    read_record,
    read_val_history,
)

HERE = osp.dirname(osp.abspath(__file__))


def expand(spec: Config) -> List[dict]:
    """The variant list: explicit ``variants`` first, then the cartesian product of ``grid.axes``."""
    variants = [dict(v) for v in spec.get('variants', [])]
    grid = spec.get('grid')
    if grid:
        axes = list(grid['axes'].items())
        for combo in itertools.product(*[list(values.items()) for _, values in axes]):
            options: Dict = {}
            for _, (_, opts) in zip(axes, combo):
                options.update(opts or {})
            name = '_'.join(f'{axis}-{label}' for (axis, _), (label, _) in zip(axes, combo))
            variants.append(dict(name=name, config=grid['config'], cfg_options=options))
    names = [v['name'] for v in variants]
    if len(set(names)) != len(names):
        raise ValueError(f'variant names must be unique, got {names}')
    if not variants:
        raise ValueError('the ablation config defines neither variants nor grid')
    return variants


def apply_options(cfg: Config, options: dict) -> Config:
    """Set each dotted key to its value. A dict value replaces the whole sub-config (unlike ``--cfg-options``,
    which merges), so ``'model.mask_scheduler': dict(type='UniformMaskScheduler')`` drops the old arguments.
    Hooks may be named by type (``custom_hooks.ReconstructionVisHook.interval``) as well as by position."""
    for key, value in name_list_items(cfg, options, cfg.filename or 'the config').items():
        *parents, last = key.split('.')
        node = cfg
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return cfg


def resolve(variant: dict, common: dict, work_dir: str) -> str:
    """Apply the options to the variant's config and write the resolved config into the work dir: it is exactly
    what runs, and what the run records."""
    cfg = apply_options(load_config(variant['config']), {**common, **variant.get('cfg_options', {})})
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, f'{variant["name"]}.py')
    cfg.dump(path)
    return path


def train_command(variant: dict, common: dict, work_dir: str) -> List[str]:
    """The tools/train.py command of a variant (resuming when it has checkpoints)."""
    cmd = [sys.executable, osp.join(HERE, 'train.py'), resolve(variant, common, work_dir), '--work-dir', work_dir]
    if latest_checkpoint(work_dir) is not None:
        cmd.append('--resume')
    return cmd


def run_variant(variant: dict, common: dict, work_dir: str, dry_run: bool) -> str:
    """'done' (skipped), 'ran' or 'dry'."""
    if RunSummary.is_complete(work_dir):
        return 'done'
    cmd = train_command(variant, common, work_dir)
    print(f'[ablate] {variant["name"]}: {" ".join(cmd)}', flush=True)
    if dry_run:
        return 'dry'
    subprocess.run(cmd, check=True, env=dict(os.environ, PYTHONPATH=osp.dirname(HERE)))
    return 'ran'


def run_on_devices(jobs: Sequence[Tuple[str, List[str], str]], devices: Sequence[str], poll: float = 1.0) -> dict:
    """Run ``jobs`` (name, command, log file) at most one per device at a time, each seeing only its device
    through ``CUDA_VISIBLE_DEVICES``. Returns name -> 'ran' or 'failed (exit N, see LOG)'; a failure does not
    stop the other jobs."""
    pending, running, status = list(jobs), {}, {}
    free = list(devices)
    while pending or running:
        while pending and free:
            name, cmd, log = pending.pop(0)
            device = free.pop(0)
            env = dict(os.environ, PYTHONPATH=osp.dirname(HERE), CUDA_VISIBLE_DEVICES=device)
            os.makedirs(osp.dirname(osp.abspath(log)), exist_ok=True)
            handle = open(log, 'a')
            print(f'[ablate] {name} on device {device}: {" ".join(cmd)} (log: {log})', flush=True)
            running[name] = (subprocess.Popen(cmd, env=env, stdout=handle, stderr=subprocess.STDOUT), device,
                             handle, log)  # fmt: skip
        time.sleep(poll)
        for name, (proc, device, handle, log) in list(running.items()):
            code = proc.poll()
            if code is None:
                continue
            handle.close()
            free.append(device)
            del running[name]
            status[name] = 'ran' if code == 0 else f'failed (exit {code}, see {log})'
            print(f'[ablate] {name}: {status[name]} ({len(running)} running, {len(pending)} waiting)', flush=True)
    return status


def write_table(rows: List[dict], work_root: str) -> None:
    columns = columns_of(rows)
    lines = ['| ' + ' | '.join(columns) + ' |', '|' + '---|' * len(columns)]
    lines += ['| ' + ' | '.join(fmt(r.get(c)) for c in columns) + ' |' for r in rows]
    with open(osp.join(work_root, 'table.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with open(osp.join(work_root, 'table.csv'), 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction='ignore')
        writer.writeheader()
        writer.writerows(rows)
    print('\n'.join(lines))


def write_plots(rows: List[dict], finished: List[dict], work_root: str, score: Optional[str]) -> None:
    """Loss (and fine-tuning accuracy) against seconds and against iterations: seconds compare costs on an idle
    machine, iterations stay readable when other work shared it. Then the grid's score as bars with Δ against the
    first scored variant (``score`` from the spec, else ``score_column``'s choice)."""
    title = osp.basename(work_root)
    runs = [(v['name'], read_record(osp.join(work_root, v['name']))) for v in finished]
    histories = [(v['name'], read_val_history(osp.join(work_root, v['name']))) for v in finished]
    classified = [(name, hist) for name, hist in histories if any('accuracy/top1' in h for h in hist)]
    for axis, suffix in (('wall', 'time'), ('iter', 'iter')):
        plot_loss_and_mask_ratio(runs, osp.join(work_root, f'loss_vs_{suffix}.png'), x_axis=axis, title=title)
        if classified:  # the fine-tuning runs of the ablation
            plot_val_metric(classified, 'accuracy/top1', osp.join(work_root, f'accuracy_vs_{suffix}.png'),
                            x_axis=axis, title=title)  # fmt: skip
    try:
        column = score_column(rows, score)
    except KeyError as e:  # e.g. the probes of a pretraining grid have not run yet
        print(f'[ablate] no bar plot: {e.args[0]}')
        return
    if column is not None:
        out = osp.join(work_root, f'score_{column}.png')
        plot_score_bars(rows, column, out, lower_is_better=not higher_is_better(column), title=title)
        print(f'[ablate] wrote {out}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('ablation')
    parser.add_argument('--work-root', help='override work_root')
    parser.add_argument('--only', nargs='+', help='run only these variants (the table still lists finished ones)')
    parser.add_argument('--dry-run', action='store_true', help='print the commands only')
    parser.add_argument('--gpus', type=int, default=0, help='run this many variants at once, one per GPU')
    parser.add_argument('--table-only', action='store_true', help='rebuild the table and plots of the finished '
                        'variants without running any')  # fmt: skip
    args = parser.parse_args()
    if args.gpus:
        import torch

        if torch.cuda.device_count() < args.gpus:
            found = torch.cuda.device_count()
            raise SystemExit(f'--gpus {args.gpus}: this machine has {found} CUDA device(s); variants sharing a '
                             'device (or CPU cores) give timings that cannot be compared')  # fmt: skip
    spec = load_config(args.ablation)
    work_root = (
        args.work_root
        or spec.get('work_root')
        or osp.join('work_dirs', 'ablations', osp.splitext(osp.basename(args.ablation))[0])
    )
    os.makedirs(work_root, exist_ok=True)
    variants = expand(spec)
    common = dict(spec.get('cfg_options', {}))
    status = {}
    selected = [] if args.table_only else [v for v in variants if not args.only or v['name'] in args.only]
    if args.gpus and not args.dry_run:
        jobs = []
        for v in selected:
            work_dir = osp.join(work_root, v['name'])
            if RunSummary.is_complete(work_dir):
                status[v['name']] = 'done'
            else:
                jobs.append((v['name'], train_command(v, common, work_dir), osp.join(work_dir, 'ablate.log')))
        status.update(run_on_devices(jobs, [str(i) for i in range(args.gpus)]))
    else:
        for v in selected:
            status[v['name']] = run_variant(v, common, osp.join(work_root, v['name']), args.dry_run)
    if args.dry_run:
        return
    finished = [v for v in variants if RunSummary.is_complete(osp.join(work_root, v['name']))]
    partial = [v['name'] for v in variants
               if v not in finished and RunSummary.exists(osp.join(work_root, v['name']))]  # fmt: skip
    if partial:
        print(f'[ablate] cut short, left out of the table (rerun to resume): {", ".join(partial)}')
    if not finished:
        print('[ablate] no finished variant yet')
        return
    rows = add_deltas([row_of(v['name'], osp.join(work_root, v['name'])) for v in finished])
    write_table(rows, work_root)
    write_plots(rows[:-1], finished, work_root, spec.get('score'))
    if args.table_only:  # nothing ran: the last run's status stays
        return
    with open(osp.join(work_root, 'status.json'), 'w') as f:
        json.dump(dict(status=status, finished=[v['name'] for v in finished]), f, indent=2)


if __name__ == '__main__':
    main()
