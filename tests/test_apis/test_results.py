"""The results table: Table 5's Δ columns and overall mean against hand computation."""

from lmdkit.apis.results import add_deltas, columns_of, overall_columns


def row(name, MIT, MLT, MLI, mat1=None, mat5=None, **extra):
    return dict(variant=name, iters=100, train_s=10.0, MIT=MIT, MLI=MLI, MLT=MLT, final_loss=0.5, val_nmse=None,
                val_mse=None, val_diffusion_mse=None, top1=extra.get('top1'), top5=None,
                **{'MAT@1': mat1, 'MAT@5': mat5})  # fmt: skip


def test_overall_is_the_plain_mean_of_table5_columns_and_its_change_is_against_the_first_row():
    rows = add_deltas([row('a', 0.2, 40.0, 200.0, 30.0, 10.0, top1=0.8), row('b', 0.1, 30.0, 300.0, 20.0, 12.0)])
    a, b, mean = rows
    assert a['overall'] == (0.2 + 40.0 + 200.0 + 30.0 + 10.0) / 5
    assert b['overall'] == (0.1 + 30.0 + 300.0 + 20.0 + 12.0) / 5
    assert b['dOverall'] == f'{100 * (b["overall"] - a["overall"]) / a["overall"]:+.1f}%' and a['dOverall'] == '+0.0%'
    assert b['dMIT'] == '-50.0%' and b['dMLT'] == f'{100 * (30 - 40) / 40:+.1f}%'
    assert mean['variant'] == 'mean' and mean['overall'] == (a['overall'] + b['overall']) / 2
    cols = columns_of(rows)
    assert cols.index('overall') == cols.index('dOverall') - 1 and 'MAT@1' in cols


def test_overall_takes_only_the_columns_every_row_has():
    rows = [row('a', 0.2, 40.0, 200.0), row('b', 0.1, 'n/a', 300.0)]  # a pretraining grid, one curve that did not fall
    assert overall_columns(rows) == ['MIT', 'MLI']
    a, b, _ = add_deltas(rows)
    assert a['overall'] == (0.2 + 200.0) / 2 and b['overall'] == (0.1 + 300.0) / 2
    single = add_deltas([row('a', 0.2, 'n/a', 'n/a')])
    assert 'overall' not in single[0] and 'overall' not in columns_of(single)


def test_the_score_column_is_the_named_one_or_the_first_present_of_the_order():
    import pytest

    from lmdkit.apis.results import higher_is_better, score_column

    rows = [dict(variant='a', final_loss=0.3, val_nmse=0.2, **{'FID-convnet': 9.0}), dict(variant='b', top1=None)]
    assert score_column(rows) == 'FID-convnet' and not higher_is_better('FID-convnet')
    assert score_column(rows, 'val_nmse') == 'val_nmse'
    assert score_column([dict(variant='a', top1=80.0, final_loss=0.3)]) == 'top1' and higher_is_better('top1')
    assert score_column([dict(variant='a', iters=None)]) is None
    with pytest.raises(KeyError, match="'top5'.*numeric columns"):
        score_column(rows, 'top5')
