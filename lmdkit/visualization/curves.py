"""Training-curve plots from ``train_record.jsonl`` files."""

import json
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from matplotlib.figure import Figure  # a bare Figure draws with Agg: no pyplot state, no global backend switch

from ..utils.run_summary import RunSummary
from ..utils.smoothing import ema_smooth

RECORD_FILE = 'train_record.jsonl'


def read_record(path: str) -> List[dict]:
    """Rows of a per-iteration record (a work dir or the ``.jsonl`` file itself), without skipped steps."""
    if osp.isdir(path):
        path = osp.join(path, RECORD_FILE)
    if not osp.isfile(path):
        raise FileNotFoundError(f'no per-iteration record at {path} (written by TrainRecordHook during training)')
    with open(path) as f:
        lines = [line for line in f if line.strip()]
    rows = []
    for i, line in enumerate(lines):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            if i < len(lines) - 1:  # only the last line may be cut short (a run killed while writing it)
                raise ValueError(f'{path}: line {i + 1} is not JSON') from None
    return [r for r in rows if r.get('loss') is not None]  # steps skipped for non-finite gradients have no loss


def plot_loss_and_mask_ratio(
    runs: Sequence[tuple], out_file: str, x_axis: str = 'iter', span: int = 50, title: Optional[str] = None
) -> str:
    """Raw (faint) and EMA-smoothed loss per run, and the mask ratio on a second axis; ``runs`` = [(label, rows)]."""
    if x_axis not in ('iter', 'wall', 'median_wall'):
        raise ValueError(f"x_axis must be 'iter', 'wall' or 'median_wall', got {x_axis!r}")
    fig = Figure(figsize=(8, 4.5), dpi=120)
    ax = fig.subplots()
    ratio_ax = ax.twinx()
    for i, (label, rows) in enumerate(runs):
        color = f'C{i}'
        x = np.array([r[x_axis] for r in rows], dtype=float)
        loss = np.array([r['loss'] for r in rows], dtype=float)
        ax.plot(x, loss, color=color, alpha=0.25, linewidth=0.8)
        ax.plot(x, ema_smooth(loss, span), color=color, linewidth=1.8, label=f'{label} loss (EMA {span})')
        if all('mask_ratio' in r and r['mask_ratio'] is not None for r in rows):
            ratio_ax.plot(
                x,
                [r['mask_ratio'] for r in rows],
                color=color,
                linestyle='--',
                linewidth=1.2,
                label=f'{label} mask ratio',
            )
    ax.set_xlabel('iteration' if x_axis == 'iter' else 'wall-clock seconds')
    ax.set_ylabel('training loss')
    ax.set_yscale('log')
    ratio_ax.set_ylabel('mask ratio')
    ratio_ax.set_ylim(0, 1)
    handles = ax.get_legend_handles_labels()[0] + ratio_ax.get_legend_handles_labels()[0]
    labels = ax.get_legend_handles_labels()[1] + ratio_ax.get_legend_handles_labels()[1]
    ax.legend(handles, labels, loc='upper right', fontsize=8)
    return _save(fig, ax, out_file, title)


def _save(fig, ax, out_file: str, title: Optional[str]) -> str:
    """Grid, optional title, tight layout; write ``out_file`` and free the figure."""
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(out_file)
    return out_file


def read_val_history(path: str) -> List[dict]:
    """Validation rows (``iter``, ``wall``, metrics) of a finished run (a work dir or its ``summary.json``)."""
    return RunSummary.read(path).val_history


def plot_val_metric(
    runs: Sequence[tuple], metric: str, out_file: str, x_axis: str = 'wall', title: Optional[str] = None
) -> str:
    """One line per run of a validation metric (e.g. ``accuracy/top1``) against training seconds or iterations;
    ``runs`` = [(label, val_history)]. The fine-tuning comparison plot: MAT@k is the slope between the ends."""
    if x_axis not in ('iter', 'wall', 'median_wall', 'budget'):
        raise ValueError(f"x_axis must be 'iter', 'wall', 'median_wall' or 'budget', got {x_axis!r}")
    fig = Figure(figsize=(7, 4.2), dpi=120)
    ax = fig.subplots()
    for i, (label, history) in enumerate(runs):
        points = [(v[x_axis], v[metric]) for v in history if metric in v]
        if not points:
            raise KeyError(f'run {label!r} has no validation values of {metric!r}')
        ax.plot(*zip(*points), marker='o', color=f'C{i}', label=label)
    labels = {'wall': 'training seconds', 'median_wall': 'training seconds (iterations × median step)',
              'budget': 'training seconds (iterations × idle step time)', 'iter': 'iteration'}  # fmt: skip
    ax.set_xlabel(labels[x_axis])
    ax.set_ylabel(metric)
    ax.legend(fontsize=8)
    return _save(fig, ax, out_file, title)


def generative_history(work_dir: str, net: str) -> List[dict]:
    """Sample-quality evaluations of a run (``tools/eval_gen.py --work-dir RUN --tag iter_N``) as a history for
    ``plot_val_metric``: one dict per evaluated iteration with ``iter``, ``wall`` (training seconds at that
    iteration, from the run's record), ``median_wall`` (iterations × the run's median step time: robust to other
    work slowing some steps down) and the metrics (``fid``, ``class_consistency``, ...)."""
    tags = RunSummary.read(work_dir).generative.get(net) or {}
    if not tags:
        raise KeyError(f'{work_dir}/summary.json has no generative results for feature network {net!r}')
    rows = read_record(work_dir)
    walls = {r['iter']: r['wall'] for r in rows}
    median_step = float(np.median([r['time'] for r in rows])) if rows else float('nan')
    history = []
    for tag, result in tags.items():
        tail = tag.rsplit('_', 1)[-1]
        if not tail.isdigit():
            continue
        it = int(tail)
        history.append(dict(result, iter=it, wall=walls.get(it, float('nan')), median_wall=it * median_step))
    return sorted(history, key=lambda h: h['iter'])


def plot_record_series(
    runs: Sequence[tuple], key: str, out_file: str, x_axis: str = 'iter', title: Optional[str] = None
) -> str:
    """One line per run of a per-iteration record column (e.g. ``mask_ratio``, ``lr``) against iterations or
    seconds; ``runs`` = [(label, rows)]; runs without that column are left out."""
    if x_axis not in ('iter', 'wall'):
        raise ValueError(f"x_axis must be 'iter' or 'wall', got {x_axis!r}")
    fig = Figure(figsize=(7, 3.2), dpi=120)
    ax = fig.subplots()
    for i, (label, rows) in enumerate(runs):
        points = [(r[x_axis], r[key]) for r in rows if r.get(key) is not None]
        if points:
            ax.plot(*zip(*points), color=f'C{i}', label=label)
    ax.set_xlabel('iteration' if x_axis == 'iter' else 'wall-clock seconds')
    ax.set_ylabel(key)
    ax.legend(fontsize=8)
    return _save(fig, ax, out_file, title)
