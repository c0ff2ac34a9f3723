"""A grid's score per variant as horizontal bars, each labelled with its value and its change against the first
scored variant: the plot of an ablation table that does not depend on wall-clock time (so it stays readable when
other work shared the machine)."""

from typing import Optional, Sequence

from matplotlib.figure import Figure  # a bare Figure: no pyplot state, no global backend switch


def plot_score_bars(
    rows: Sequence[dict],
    column: str,
    out_file: str,
    lower_is_better: bool = True,
    title: Optional[str] = None,
) -> str:
    """One bar per row with a number in ``column`` (rows without one are left out), in table order; the first such
    row is the reference (dashed line) of the ``Δ`` labels. Better-than-reference bars are green, worse ones red."""
    scored = [(r['variant'], float(r[column])) for r in rows if _is_number(r.get(column))]
    if not scored:
        raise KeyError(f'no row has a number in column {column!r}; columns of the first row: {sorted(rows[0])}')
    ref = scored[0][1]
    fig = Figure(figsize=(7, 0.45 * len(scored) + 1.3), dpi=120)
    ax = fig.subplots()
    names = [name for name, _ in scored][::-1]  # first row on top
    values = [value for _, value in scored][::-1]
    colors = []
    for value in values:
        better = value < ref if lower_is_better else value > ref
        colors.append('0.55' if value == ref else ('tab:green' if better else 'tab:red'))
    ax.barh(names, values, color=colors)
    ax.axvline(ref, color='k', linestyle='--', linewidth=1)
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.6 or abs(hi) * 0.1 or 1.0
    ax.set_xlim(lo - pad, hi + pad)  # bars start at the axis edge: the differences, not the totals, are visible
    for y, value in enumerate(values):
        delta = f'{100 * (value - ref) / ref:+.1f}%' if ref else ''
        ax.text(value, y, f' {value:.4g} ({delta})', va='center', fontsize=8)
    better = 'lower' if lower_is_better else 'higher'
    ax.set_xlabel(f'{column} ({better} is better; Δ against {scored[0][0]})')
    ax.grid(alpha=0.3, axis='x')
    if title:
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(out_file)
    return out_file


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)
