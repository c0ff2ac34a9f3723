"""Training-efficiency metrics (ours; the LMD paper does not define them). Definitions: docs/metrics.md.

MIT = mean seconds per iteration after K warm-up iterations. With the loss smoothed by an EMA of span S,
L_start = smoothed loss at K and L_end = the final smoothed loss; the valid span ends where the smoothed curve
first comes within ``tol`` · (L_start − L_end) of L_end. MLI = valid iterations / (L_start − L_end) and
MLT = valid seconds / (L_start − L_end), so MLT ≈ MIT · MLI. A curve that did not decrease gives "n/a".
"""

from typing import Dict, Sequence, Union

import numpy as np

from lmdkit.utils.smoothing import ema_smooth

NA = 'n/a'


def efficiency_metrics(
    losses: Sequence[float], iter_times: Sequence[float], skip: int = 20, span: int = 50, tol: float = 0.01
) -> Dict[str, Union[float, int, str]]:
    """MIT, MLI, MLT and the quantities they come from, for one run's per-iteration losses and step times."""
    losses, times = np.asarray(losses, np.float64), np.asarray(iter_times, np.float64)
    if losses.shape != times.shape:
        raise ValueError(f'{losses.size} losses but {times.size} iteration times')
    out: Dict[str, Union[float, int, str]] = dict(skip=skip, span=span, tol=tol, iters=int(losses.size))
    if losses.size <= skip + 1:
        out.update(MIT=float(times.mean()) if times.size else NA, MLI=NA, MLT=NA, L_start=NA, L_end=NA)
        return out
    smoothed = ema_smooth(losses, span)
    l_start, l_end = float(smoothed[skip]), float(smoothed[-1])
    out.update(MIT=float(times[skip:].mean()), L_start=l_start, L_end=l_end)
    drop = l_start - l_end
    if not drop > 0:
        out.update(MLI=NA, MLT=NA, valid_iters=NA, valid_seconds=NA)
        return out
    reached = np.flatnonzero(smoothed[skip:] <= l_end + tol * drop)
    end = skip + int(reached[0])
    valid_iters, valid_seconds = end - skip, float(times[skip + 1 : end + 1].sum())
    out.update(valid_iters=valid_iters, valid_seconds=valid_seconds, MLI=valid_iters / drop, MLT=valid_seconds / drop)
    return out


def mat_at_k(val_history: Sequence[dict], k: int = 1, key: str = 'accuracy/top{k}') -> Dict[str, Union[float, str]]:
    """MAT@k (docs/metrics.md): fine-tuning seconds between the first and the last evaluation divided by the top-k
    accuracy gain in points between them — seconds per point, lower is better.

    ``val_history`` rows hold ``wall`` (training seconds at that evaluation) and the accuracy in percent, as the
    ``TrainRecordHook`` records them. Fewer than two evaluations, or no gain, gives "n/a".
    """
    name = key.format(k=k)
    points = [(float(v['wall']), float(v[name])) for v in val_history if name in v]
    out: Dict[str, Union[float, str]] = dict(metric=name, evaluations=len(points))
    if len(points) < 2:
        out.update(MAT=NA)
        return out
    (t0, a0), (t1, a1) = points[0], points[-1]
    out.update(seconds=t1 - t0, gain=a1 - a0, first=a0, last=a1)
    out['MAT'] = (t1 - t0) / (a1 - a0) if a1 > a0 else NA
    return out
