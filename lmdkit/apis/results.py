"""The results table of one or more runs, from their ``summary.json``: the columns of the LMD paper's Table 5
(MIT, MLI, MLT, MAT@1 and MAT@5 of fine-tuning runs, their change against the first run and their overall mean),
validation metrics and the generative metrics tools/eval_gen.py merged in. Used by tools/ablate.py and the
HTML report."""

from typing import List, Optional

from ..utils.run_summary import RunSummary

COLUMNS = (
    'variant',
    'iters',
    'train_s',
    'MIT',
    'MLI',
    'MLT',
    'dMIT',
    'dMLT',
    'final_loss',
    'val_nmse',
    'val_mse',
    'val_diffusion_mse',
)
CLS_COLUMNS = ('top1', 'top5', 'MAT@1', 'MAT@5')
# the LMD paper's Table 5 "overall mean": the plain mean of its cost columns (each lower is better)
OVERALL_OF = ('MIT', 'MLT', 'MLI', 'MAT@1', 'MAT@5')


def _tag_iter(tag: str) -> int:
    tail = tag.rsplit('_', 1)[-1]
    return int(tail) if tail.isdigit() else -1


def generative_columns(summary: RunSummary) -> dict:
    """``FID-<net>`` and ``cls-<net>`` (class consistency) of the latest evaluation tools/eval_gen.py merged into
    the summary for each feature network."""
    out = {}
    for net, tags in summary.generative.items():
        if not tags:
            continue
        latest = tags[max(tags, key=_tag_iter)]
        out[f'FID-{net}'] = latest.get('fid')
        if 'class_consistency' in latest:
            out[f'cls-{net}'] = latest['class_consistency']
    return out


def row_of(name: str, work_dir: str) -> dict:
    """One table row from a finished run's ``summary.json``."""
    s = RunSummary.read(work_dir)
    e, val, mat = s.efficiency, s.val or {}, s.MAT
    return dict(variant=name, iters=s.iters, train_s=s.train_seconds, MIT=e.get('MIT'), MLI=e.get('MLI'),
                MLT=e.get('MLT'), final_loss=s.final_loss, val_nmse=val.get('recon/nmse'), val_mse=val.get('recon/mse'),
                val_diffusion_mse=val.get('diffusion/mse'),
                top1=val.get('accuracy/top1'), top5=val.get('accuracy/top5'),
                **{k: (mat.get(k) or {}).get('MAT') for k in ('MAT@1', 'MAT@5')}, **generative_columns(s))  # fmt: skip


def is_number(x) -> bool:
    """A real number (not a bool, not 'n/a')."""
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _relative(value, ref) -> str:
    ok = is_number(value) and is_number(ref) and ref
    return f'{100 * (value - ref) / ref:+.1f}%' if ok else 'n/a'


def overall_columns(rows: List[dict]) -> List[str]:
    """The Table 5 columns every row has a number for: the ones its overall mean is taken over (a pretraining-only
    grid has no MAT@k)."""
    return [k for k in OVERALL_OF if all(is_number(r.get(k)) for r in rows)]


def add_deltas(rows: List[dict]) -> List[dict]:
    """ΔMIT and ΔMLT of each row against the first; Table 5's ``overall`` (the plain mean of the columns of
    ``overall_columns``) and its change ``dOverall`` against the first row, when more than one of them is there;
    and a closing row of means."""
    ref = rows[0]
    for r in rows:
        for key in ('MIT', 'MLT'):
            r[f'd{key}'] = _relative(r[key], ref[key])
    over = overall_columns(rows)
    if len(over) > 1:
        for r in rows:
            r['overall'] = sum(r[k] for k in over) / len(over)
        for r in rows:
            r['dOverall'] = _relative(r['overall'], ref['overall'])
    mean = dict(variant='mean')
    for key in (
        'iters',
        'train_s',
        'MIT',
        'MLI',
        'MLT',
        'final_loss',
        'val_nmse',
        'val_mse',
        'val_diffusion_mse',
        *CLS_COLUMNS,
    ):
        values = [r[key] for r in rows if is_number(r[key])]
        mean[key] = sum(values) / len(values) if values else 'n/a'
    mean.update(dMIT='', dMLT='')
    if len(over) > 1:
        mean.update(overall=sum(r['overall'] for r in rows) / len(rows), dOverall='')
    return rows + [mean]


def fmt(v) -> str:
    """A table cell: floats to 4 significant digits, None empty."""
    if isinstance(v, float):
        return f'{v:.4g}'
    return '' if v is None else str(v)


# the score a grid is judged by when its spec names none: the first of these some row has
SCORE_ORDER = ('top1', 'FID-', 'val_diffusion_mse', 'val_nmse', 'val_mse', 'final_loss')


def higher_is_better(column: str) -> bool:
    """Accuracy and class consistency rise with quality; losses, errors and FID fall."""
    return column in ('top1', 'top5') or column.startswith('cls-')


def score_column(rows: List[dict], column: Optional[str] = None) -> Optional[str]:
    """The column a grid's bar plot shows: ``column`` when given (it must exist), else the first of ``SCORE_ORDER``
    (a prefix such as ``FID-`` takes the first such column) that some row has a number in; None if none has."""
    present = sorted({k for r in rows for k, v in r.items() if is_number(v)})
    if column is not None:
        if column not in present:
            raise KeyError(f'score column {column!r} has no number in any row; numeric columns: {present}')
        return column
    for name in SCORE_ORDER:
        matches = [k for k in present if k == name or (name.endswith('-') and k.startswith(name))]
        if matches:
            return matches[0]
    return None


def columns_of(rows: List[dict]) -> tuple:
    """The table's columns: accuracy and MAT when any run is a classification run, masked MSE when any has it."""
    cols = [c for c in COLUMNS if not c.startswith('val_') or any(is_number(r.get(c)) for r in rows)]
    gen = sorted({k for r in rows for k in r if k.startswith(('FID-', 'cls-'))})
    cls = CLS_COLUMNS if any(is_number(r.get('top1')) for r in rows) else ()
    overall = ('overall', 'dOverall') if any('overall' in r for r in rows) else ()
    return tuple(cols) + cls + overall + tuple(gen)
