"""The HTML report: its table against the runs' summaries, its figures, that it is self-contained, and (marked
slow) that a real headless browser opens it without errors and decodes every image."""

import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pytest
from PIL import Image

from lmdkit.apis.report import build_report, find_runs

from ..conftest import QUICK_START, ROOT


class Page(HTMLParser):
    """Collects image sources, table cells and every external reference of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.images, self.cells, self.external, self._in_cell = [], [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == 'img':
            self.images.append(attrs['src'])
        for key in ('src', 'href'):
            if key in attrs and not attrs[key].startswith('data:'):
                self.external.append(attrs[key])
        self._in_cell = tag in ('td', 'th')

    def handle_data(self, data):
        if self._in_cell:
            self.cells.append(data)

    def handle_endtag(self, tag):
        self._in_cell = False


def fake_run(work_dir, loss_scale: float, seconds_per_iter: float, n: int = 30) -> dict:
    """A finished run's files as TrainRecordHook writes them (record, summary) plus an image grid."""
    os.makedirs(work_dir)
    rows = [dict(iter=i, loss=loss_scale / i, mask_ratio=0.15 + 0.6 * i / n, time=seconds_per_iter,
                 wall=i * seconds_per_iter, lr=1e-3) for i in range(1, n + 1)]  # fmt: skip
    with open(osp.join(work_dir, 'train_record.jsonl'), 'w') as f:
        f.writelines(json.dumps(r) + '\n' for r in rows)
    val = [dict(iter=15, wall=15 * seconds_per_iter, **{'recon/nmse': loss_scale / 2}),
           dict(iter=30, wall=30 * seconds_per_iter, **{'recon/nmse': loss_scale / 4})]  # fmt: skip
    summary = dict(config='configs/x.py', config_hash='abc', iters=n, train_seconds=n * seconds_per_iter,
                   final_loss=rows[-1]['loss'], efficiency=dict(MIT=seconds_per_iter, MLI=0.01 * loss_scale,
                   MLT=0.01 * loss_scale / seconds_per_iter), val=val[-1], val_history=val, MAT={},
                   environment=dict(device='cpu', cpu_count=2))  # fmt: skip
    with open(osp.join(work_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f)
    Image.fromarray(np.full((8, 16), 200, np.uint8)).save(osp.join(work_dir, 'reconstruction.png'))
    return summary


def test_a_grid_report_holds_the_table_curves_and_grids_and_nothing_external(tmp_path):
    root = tmp_path / 'grid'
    a = fake_run(str(root / 'lmd-cos'), loss_scale=1.0, seconds_per_iter=0.2)
    fake_run(str(root / 'lmd-uni'), loss_scale=2.0, seconds_per_iter=0.25)
    with open(root / 'status.json', 'w') as f:  # ablate's order: the reference first
        json.dump(dict(finished=['lmd-uni', 'lmd-cos']), f)
    assert [label for label, _ in find_runs([str(root)])] == ['lmd-uni', 'lmd-cos']
    made = build_report([str(root)], str(tmp_path / 'out' / 'report.html'))
    page = Page()
    page.feed(open(made['out_file'], encoding='utf-8').read())
    assert page.external == []  # every image is inside the file
    # loss vs iterations and vs time, the mask-ratio schedule, recon/nmse vs iterations and vs time, 2 grids
    assert made['figures'] == len(page.images) == 2 + 1 + 2 + 2
    for src in page.images:
        assert src.startswith('data:image/png;base64,') and len(src) > 100
    (uni, cos, mean) = made['rows']
    assert (uni['variant'], cos['variant'], mean['variant']) == ('lmd-uni', 'lmd-cos', 'mean')
    assert cos['MIT'] == a['efficiency']['MIT'] and cos['dMIT'] == f'{100 * (0.2 - 0.25) / 0.25:+.1f}%'
    assert '-20.0%' in page.cells and 'MLT' in page.cells


def test_a_run_still_going_is_in_the_curves_and_named_as_such(tmp_path):
    fake_run(str(tmp_path / 'done'), loss_scale=1.0, seconds_per_iter=0.2)
    going = tmp_path / 'lr$1e-3'  # a '$' in a folder name must not reach matplotlib's maths parser
    os.makedirs(going)
    rows = [dict(iter=i, loss=1.0 / i, mask_ratio=0.5, time=0.1, wall=0.1 * i) for i in range(1, 11)]
    with open(going / 'train_record.jsonl', 'w') as f:
        f.writelines(json.dumps(r) + '\n' for r in rows)
        f.write('{"iter": 11, "lo')  # killed while writing its last line
    made = build_report([str(tmp_path / 'done'), str(going)], str(tmp_path / 'r.html'))
    assert made['runs'] == ['done', 'lr$1e-3'] and [r['variant'] for r in made['rows']] == ['done']
    page = open(made['out_file'], encoding='utf-8').read()
    assert '10 so far; no summary.json (running or stopped)' in page


def test_a_folder_without_runs_is_refused_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match='neither a run'):
        build_report([str(tmp_path)], str(tmp_path / 'r.html'))


CHECK = """<script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(String(e.message || e.target.src)), true);
window.addEventListener('load', () => {
  const images = [...document.images];
  const decoded = images.filter(i => i.complete && i.naturalWidth > 0).length;
  document.body.setAttribute('data-check', JSON.stringify({images: images.length, decoded, errors: window.__errors}));
});
</script>"""


@pytest.mark.slow
def test_a_real_browser_opens_the_report_of_a_real_run_without_errors(tmp_path):
    browser = shutil.which('chromium') or shutil.which('chromium-browser') or shutil.which('google-chrome')
    if browser is None:
        if os.environ.get('CI'):
            pytest.fail('CI must install Chromium (apt-get install -y chromium): .ci/run does')
        pytest.skip('no Chromium here (apt-get install -y --no-install-recommends chromium)')
    work = str(tmp_path / 'run')
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    train = [sys.executable, 'tools/train.py', QUICK_START, '--work-dir', work, '--cfg-options',
             'train_cfg.max_iters=8', 'train_cfg.val_interval=4', 'train_dataloader.batch_size=8',
             'val_dataloader.dataset.indices=20']  # fmt: skip
    subprocess.run(train, cwd=ROOT, env=env, check=True, capture_output=True, timeout=600)
    out = str(tmp_path / 'report.html')
    made = subprocess.run([sys.executable, 'tools/report.py', work, '--out', out], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert made.returncode == 0, made.stderr[-3000:]
    page = open(out, encoding='utf-8').read()
    checked = str(tmp_path / 'checked.html')  # the test's probe, not part of the report
    with open(checked, 'w', encoding='utf-8') as f:
        f.write(page.replace('<body>', '<body>' + CHECK, 1))
    dom = subprocess.run(
        [browser, '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
         '--virtual-time-budget=10000', '--dump-dom', 'file://' + checked],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    found = re.search(r'data-check="([^"]*)"', dom.stdout)
    assert found, f'the page did not finish loading:\n{dom.stdout[-2000:]}\n{dom.stderr[-2000:]}'
    check = json.loads(found.group(1).replace('&quot;', '"'))
    # the real run's reconstruction grid, loss against iterations and time, mask ratio, validation curves
    assert check['errors'] == [] and check['images'] >= 4 and check['decoded'] == check['images']
