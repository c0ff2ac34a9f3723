"""Efficiency metrics on synthetic curves with known answers."""

import numpy as np
import pytest

from lmdkit.evaluation import efficiency_metrics, ema_smooth


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
