"""Efficiency metrics on synthetic curves with known answers."""

import numpy as np
import pytest

from lmdkit.evaluation import efficiency_metrics
from lmdkit.utils.smoothing import ema_smooth


def test_ema_is_the_bias_corrected_weighted_mean():
    x = np.array([4.0, 2.0, 1.0, 3.0])
    alpha = 2 / (3 + 1)
    w = (1 - alpha) ** np.arange(4)[::-1]  # weights of x_0..x_3 at t = 3
    assert ema_smooth(x, span=3)[-1] == pytest.approx((w * x).sum() / w.sum())
    assert ema_smooth(x, span=3)[0] == 4.0
    np.testing.assert_allclose(ema_smooth(x, span=1), x)  # span 1 = no smoothing


def test_known_answer_without_smoothing():
    losses = [9, 9, 5, 4, 3, 2, 1, 1, 1, 1]
    times = [0.5] * 10
    m = efficiency_metrics(losses, times, skip=2, span=1, tol=0.01)
    # L_start = 5 at iteration 2, L_end = 1, first within 1% of the drop at index 6 -> 4 valid iterations
    assert (m['L_start'], m['L_end'], m['valid_iters']) == (5.0, 1.0, 4)
    assert m['MIT'] == pytest.approx(0.5)
    assert m['MLI'] == pytest.approx(4 / 4) and m['MLT'] == pytest.approx(2.0 / 4)
    assert m['MLT'] == pytest.approx(m['MIT'] * m['MLI'])


def test_non_decreasing_curve_reports_na():
    m = efficiency_metrics(list(range(50)), [0.1] * 50, skip=5, span=3)
    assert m['MLI'] == m['MLT'] == 'n/a' and m['MIT'] == pytest.approx(0.1)


def test_too_short_run():
    m = efficiency_metrics([1.0, 0.5], [0.2, 0.2], skip=20)
    assert m['MLI'] == 'n/a' and m['MIT'] == pytest.approx(0.2)


def test_length_mismatch_raises():
    with pytest.raises(ValueError, match='iteration times'):
        efficiency_metrics([1, 2, 3], [1, 2])


def test_time_to_target():
    from lmdkit.engine.hooks.train_record_hook import time_to_target

    rows = [dict(iter=i + 1, wall=0.5 * (i + 1), loss=10.0 - i) for i in range(10)]
    val = [dict(iter=5, wall=2.5, **{'recon/nmse': 0.6, 'accuracy/top1': 40.0}),
           dict(iter=10, wall=5.0, **{'recon/nmse': 0.4, 'accuracy/top1': 70.0})]  # fmt: skip
    out = time_to_target({'recon/nmse': 0.5, 'accuracy/top1': 50.0, 'loss': 5.0, 'recon/mse': 0.1}, rows, val, span=1)
    assert out['recon/nmse'] == dict(target=0.5, iter=10, seconds=5.0)
    assert out['accuracy/top1'] == dict(target=50.0, iter=10, seconds=5.0)
    assert out['loss'] == dict(target=5.0, iter=6, seconds=3.0)  # loss 10 - 5 = 5 at the 6th iteration
    assert out['recon/mse'] == dict(target=0.1, reached=False)
