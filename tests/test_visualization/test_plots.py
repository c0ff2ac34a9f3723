"""Plots and grids draw on bare matplotlib Figures: importing them changes no global state."""

import subprocess
import sys

import numpy as np
import torch
from PIL import Image

from lmdkit.visualization import plot_record_series, save_image_rows

from ..conftest import ROOT

# the raw rcParams value: reading rcParams['backend'] itself would resolve the backend (and import pyplot)
PROBE = """
import sys, matplotlib
before = dict.__getitem__(matplotlib.rcParams, 'backend')
import lmdkit.visualization, lmdkit.apis.report
assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'
assert dict.__getitem__(matplotlib.rcParams, 'backend') == before
"""


def test_importing_the_plots_selects_no_backend_and_loads_no_pyplot():
    proc = subprocess.run([sys.executable, '-c', PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_grids_and_curves_are_written_as_images(tmp_path):
    rows = {'a': torch.zeros(3, 1, 8, 8, dtype=torch.uint8), 'b': torch.full((3, 1, 8, 8), 255, dtype=torch.uint8)}
    grid = np.asarray(Image.open(save_image_rows(rows, str(tmp_path / 'g.png'), title='t')))
    assert grid.ndim == 3 and grid.shape[0] > 50 and grid.shape[1] > 50
    records = [('run', [dict(iter=i, wall=0.1 * i, mask_ratio=i / 10) for i in range(1, 11)])]
    curve = Image.open(plot_record_series(records, 'mask_ratio', str(tmp_path / 'c.png')))
    assert curve.size == (7 * 120, int(3.2 * 120))


def test_score_bars_leave_out_rows_without_the_score_and_name_the_missing_column(tmp_path):
    import pytest

    from lmdkit.visualization import plot_score_bars

    rows = [dict(variant='ref', top1=80.0), dict(variant='pre', top1=None), dict(variant='b', top1=82.0)]
    bars = Image.open(plot_score_bars(rows, 'top1', str(tmp_path / 'bars.png'), lower_is_better=False))
    assert bars.size == (7 * 120, int((0.45 * 2 + 1.3) * 120))  # two bars: the row without a value is left out
    with pytest.raises(KeyError, match="'fid'"):
        plot_score_bars(rows, 'fid', str(tmp_path / 'none.png'))
