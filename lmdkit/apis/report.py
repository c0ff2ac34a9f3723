"""One static HTML page for a run, several runs or an ablation grid: the results table (Table 5's columns), loss
and validation curves against iterations and wall-clock time, the mask-ratio schedule, and the runs' image grids.

Everything is inside the file (plots and images as ``data:`` URIs, styles inline, no script): it opens from disk
in any browser, without a server or the network.
"""

import base64
import datetime
import glob
import html
import json
import os
import os.path as osp
import tempfile
from typing import Callable, List, Optional, Sequence, Tuple

from ..utils.run_summary import SUMMARY_FILE, RunSummary
from ..version import __version__
from ..visualization import (
    plot_loss_and_mask_ratio,
    plot_record_series,
    plot_val_metric,
    read_record,
    read_val_history,
)
from ..visualization.curves import RECORD_FILE
from .results import add_deltas, columns_of, fmt, is_number, row_of

#: images a run writes that the report shows (curves.png is redrawn with the other runs)
SKIPPED_IMAGES = ('curves.png',)
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; border-bottom: 1px solid #ccc; margin-top: 2em; }
table { border-collapse: collapse; font-size: 0.85em; } th, td { border: 1px solid #ccc; padding: 3px 7px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } tr.mean { font-style: italic; }
figure { display: inline-block; margin: 0.5em 1em 0.5em 0; vertical-align: top; }
figcaption { font-size: 0.8em; color: #555; } img { max-width: 100%; }
.note { color: #555; font-size: 0.9em; }
"""


def is_run(path: str) -> bool:
    """A work dir with a per-iteration record or a summary."""
    return osp.isfile(osp.join(path, RECORD_FILE)) or RunSummary.exists(osp.join(path, SUMMARY_FILE))


def find_runs(paths: Sequence[str]) -> List[Tuple[str, str]]:
    """``(label, work_dir)`` of every run named: a run's work dir, or an ablation grid's ``work_root`` (its runs in
    tools/ablate.py's order, from ``status.json``, else by name)."""
    runs = []
    for path in paths:
        if is_run(path):
            runs.append((osp.basename(osp.normpath(path)), path))
            continue
        if not osp.isdir(path):
            raise FileNotFoundError(f'{path}: no such folder')
        names = sorted(n for n in os.listdir(path) if is_run(osp.join(path, n)))
        status = osp.join(path, 'status.json')
        if osp.isfile(status):
            with open(status) as f:
                order = json.load(f).get('finished') or []
            names = [n for n in order if n in names] + [n for n in names if n not in order]
        if not names:
            raise FileNotFoundError(f'{path} is neither a run ({RECORD_FILE} or {SUMMARY_FILE}) nor a folder of runs')
        runs += [(name, osp.join(path, name)) for name in names]
    labels = [label for label, _ in runs]
    if len(set(labels)) < len(labels):  # two grids with the same variant names: prefix the parent folder
        runs = [(f'{osp.basename(osp.dirname(osp.normpath(d)))}/{label}', d) for label, d in runs]
    return runs


def _data_uri(path: str) -> str:
    with open(path, 'rb') as f:
        return 'data:image/png;base64,' + base64.b64encode(f.read()).decode('ascii')


def _figure(path: str, caption: str) -> str:
    return (f'<figure><img src="{_data_uri(path)}" alt="{html.escape(caption)}">'
            f'<figcaption>{html.escape(caption)}</figcaption></figure>')  # fmt: skip


def _table(rows: List[dict]) -> str:
    columns = columns_of(rows)
    head = ''.join(f'<th>{html.escape(c)}</th>' for c in columns)
    body = []
    for r in rows:
        cells = ''.join(f'<td{" class=num" if is_number(r.get(c)) else ""}>{html.escape(fmt(r.get(c)))}</td>'
                        for c in columns)  # fmt: skip
        body.append(f'<tr class="mean">{cells}</tr>' if r['variant'] == 'mean' else f'<tr>{cells}</tr>')
    return f'<table><tr>{head}</tr>{"".join(body)}</table>'


def _plain(label: str) -> str:
    return label.replace('$', r'\$')


def _plots(runs: List[Tuple[str, str]], tmp: str, title: str) -> List[str]:
    """Training and validation curves of all runs together, as figures."""
    # labels are folder names: a '$' would start matplotlib's maths mode
    records = [(_plain(label), read_record(d)) for label, d in runs if osp.isfile(osp.join(d, RECORD_FILE))]
    records = [(label, rows) for label, rows in records if rows]
    out = []

    def add(name: str, caption: str, draw: Callable[[str], str]) -> None:
        out.append(_figure(draw(osp.join(tmp, name)), caption))

    if records:
        for x, words in (('iter', 'iterations'), ('wall', 'wall-clock seconds')):
            add(f'loss_{x}.png', f'training loss (raw, EMA-smoothed) and mask ratio against {words}',
                lambda p, x=x: plot_loss_and_mask_ratio(records, p, x_axis=x, title=_plain(title)))  # fmt: skip
        if any(r.get('mask_ratio') is not None for _, rows in records for r in rows):
            add('mask_ratio.png', 'mask-ratio schedule as trained',
                lambda p: plot_record_series(records, 'mask_ratio', p, title=_plain(title)))  # fmt: skip
    histories = [(_plain(label), read_val_history(d)) for label, d in runs if RunSummary.exists(d)]
    metrics = sorted({k for _, h in histories for v in h for k, value in v.items()
                      if is_number(value) and k not in ('iter', 'wall', 'median_wall', 'epoch')})  # fmt: skip
    for metric in metrics:
        having = [(label, h) for label, h in histories if any(metric in v for v in h)]
        for x, words in (('iter', 'iterations'), ('wall', 'training seconds')):
            add(f'val_{metric.replace("/", "_")}_{x}.png', f'validation {metric} against {words}',
                lambda p, x=x, m=metric, h=having: plot_val_metric(h, m, p, x_axis=x, title=_plain(title)))  # fmt: skip
    return out


def _images(runs: List[Tuple[str, str]], grid_roots: Sequence[str]) -> List[Tuple[str, List[str]]]:
    """(heading, figures) for each grid's own plots and each run's image grids (reconstructions, samples)."""
    sections = []
    for root in grid_roots:
        found = sorted(glob.glob(osp.join(root, '*.png')))
        if found:
            sections.append((osp.basename(osp.normpath(root)), [_figure(p, osp.basename(p)) for p in found]))
    for label, work_dir in runs:
        found = [p for p in sorted(glob.glob(osp.join(work_dir, '*.png'))) if osp.basename(p) not in SKIPPED_IMAGES]
        if found:
            sections.append((label, [_figure(p, f'{label}: {osp.basename(p)}') for p in found]))
    return sections


def build_report(paths: Sequence[str], out_file: str, title: Optional[str] = None) -> dict:
    """Write the report of the runs under ``paths`` (run work dirs and/or ablation ``work_root`` folders) to
    ``out_file``. Returns what it holds: the runs, table rows, and the number of figures."""
    runs = find_runs(paths)
    title = title or ', '.join(osp.basename(osp.normpath(p)) for p in paths)
    finished = [(label, d) for label, d in runs if RunSummary.exists(d)]
    rows = [row_of(label, d) for label, d in finished]
    if len(rows) > 1:
        rows = add_deltas(rows)
    reference = f'{html.escape(rows[0]["variant"])} is the reference of the Δ columns; ' if len(rows) > 1 else ''
    parts = [f'<h1>{html.escape(title)}</h1>',
             f'<p class="note">lmdkit {__version__} report of {len(runs)} run(s), written '
             f'{datetime.datetime.now().isoformat(timespec="seconds")}. {reference}MIT/MLI/MLT: the LMD paper\'s '
             'training-efficiency metrics (docs/metrics.md). Runs without a summary appear in the curves only.'
             '</p>']  # fmt: skip
    parts.append('<h2>Runs</h2><table><tr><th>run</th><th>config</th><th>config hash</th><th>iterations</th>'
                 '<th>measured on</th></tr>')  # fmt: skip
    for label, d in runs:
        summary = RunSummary.read(d) if RunSummary.exists(d) else None
        env = summary.environment if summary else {}
        device = env.get('gpu') or (f'{env["device"]}, {env.get("cpu_count")} cores' if env.get('device') else '?')
        iters = summary.iters if summary else f'{len(read_record(d))} so far; no {SUMMARY_FILE} (running or stopped)'
        config, config_hash = (summary.config or '?', summary.config_hash or '') if summary else ('?', '')
        parts.append(f'<tr><td>{html.escape(label)}</td><td>{html.escape(str(config))}</td>'
                     f'<td>{html.escape(str(config_hash))}</td><td>{html.escape(str(iters))}</td>'
                     f'<td>{html.escape(device)}</td></tr>')  # fmt: skip
    parts.append('</table>')
    if rows:
        parts += ['<h2>Results</h2>', _table(rows)]
    with tempfile.TemporaryDirectory() as tmp:
        figures = _plots(runs, tmp, title)
        if figures:
            parts += ['<h2>Curves</h2>', *figures]
        grid_roots = [p for p in paths if not is_run(p)]
        images = _images(runs, grid_roots)
    for heading, figs in images:
        parts += [f'<h2>Images: {html.escape(heading)}</h2>', *figs]
    page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<style>{STYLE}</style></head><body>\n' + '\n'.join(parts) + '\n</body></html>\n')  # fmt: skip
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    with open(out_file, 'w', encoding='utf-8') as f:
        f.write(page)
    return dict(out_file=out_file, runs=[label for label, _ in runs], rows=rows,
                figures=len(figures) + sum(len(f) for _, f in images))  # fmt: skip
