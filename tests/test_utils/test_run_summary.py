"""``summary.json``'s one definition (``RunSummary``): what a run writes reads back field for field, older files
read with defaults, and keys this version does not know survive a rewrite."""

import json

import pytest

from lmdkit.utils.run_summary import SUMMARY_FILE, RunSummary


def test_a_summary_round_trips_through_its_json(tmp_path):
    s = RunSummary(
        config='c.py',
        iters=6,
        train_seconds=1.5,
        efficiency=dict(MIT=0.25, MLI='n/a'),
        val=dict(iter=6, **{'recon/mse': 0.3}),
        generative={'inception': {'final': dict(fid=12.0)}},
    )
    (tmp_path / SUMMARY_FILE).write_text(s.to_json())
    back = RunSummary.read(str(tmp_path))
    assert back == s
    assert json.loads(s.to_json())['efficiency'] == dict(MIT=0.25, MLI='n/a')
    assert 'curves' not in s.to_dict() and 'extra' not in s.to_dict()  # optional parts only when present


def test_older_files_read_with_defaults_and_unknown_keys_survive(tmp_path):
    path = tmp_path / 'old.json'
    path.write_text(json.dumps(dict(iters=3, final_loss=0.5, final_iter=7)))  # no efficiency, a foreign key
    s = RunSummary.read(str(path))
    assert (s.iters, s.final_loss, s.efficiency, s.val_history, s.skipped_steps) == (3, 0.5, {}, [], 0)
    assert s.extra == dict(final_iter=7) and s.to_dict()['final_iter'] == 7


def test_where_a_summary_is_and_what_a_missing_one_says(tmp_path):
    assert RunSummary.path_of(str(tmp_path)) == str(tmp_path / SUMMARY_FILE)
    assert RunSummary.path_of(str(tmp_path / 'x.json')) == str(tmp_path / 'x.json')
    assert not RunSummary.exists(str(tmp_path / 'never'))
    with pytest.raises(FileNotFoundError, match='TrainRecordHook writes it'):
        RunSummary.read(str(tmp_path))


def test_a_run_cut_short_is_not_complete(tmp_path):
    """A session that ends before max_iters leaves a summary of fewer iterations: not complete, so the ablation
    runner resumes it instead of skipping it."""
    (tmp_path / SUMMARY_FILE).write_text(json.dumps(dict(iters=260, max_iters=300)))
    assert RunSummary.exists(str(tmp_path)) and not RunSummary.is_complete(str(tmp_path))
    (tmp_path / SUMMARY_FILE).write_text(json.dumps(dict(iters=300, max_iters=300)))
    assert RunSummary.is_complete(str(tmp_path))
    assert RunSummary(iters=3).complete  # an older summary without max_iters
    assert not RunSummary.is_complete(str(tmp_path / 'never'))
