"""Top-k accuracy against a hand count, the Accuracy metric, and MAT@k on a synthetic validation history."""

import pytest
import torch

from lmdkit.evaluation import mat_at_k
from lmdkit.evaluation.metrics import Accuracy, topk_accuracy


def test_topk_accuracy_hand_computed():
    scores = torch.tensor(
        [
            [0.1, 0.6, 0.3],  # label 1: top-1 hit
            [0.5, 0.2, 0.3],  # label 2: second -> top-2 hit only
            [0.2, 0.3, 0.5],  # label 1: second -> top-2 hit only
            [0.7, 0.2, 0.1],  # label 2: third -> top-3 hit only
        ]
    )
    labels = torch.tensor([1, 2, 1, 2])
    assert topk_accuracy(scores, labels, (1, 2, 3, 5)) == [25.0, 75.0, 100.0, 100.0]
    with pytest.raises(ValueError, match='expected'):
        topk_accuracy(scores, labels[:3])


def test_accuracy_metric_and_unlabelled_samples():
    metric = Accuracy(topk=(1, 2))
    metric.dataset_meta = {}
    preds = [
        dict(pred_score=torch.tensor([0.9, 0.1, 0.0]), gt_label=0),
        dict(pred_score=torch.tensor([0.2, 0.3, 0.5]), gt_label=1),
    ]
    metric.process(None, preds)
    assert metric.compute_metrics(metric.results) == {'top1': 50.0, 'top2': 100.0}
    with pytest.raises(ValueError, match='no label'):
        metric.process(None, [dict(pred_score=torch.zeros(3), gt_label=-1)])


def test_mat_on_synthetic_history():
    # 300 s between the first (40 %) and the last (70 %) evaluation: 30 points -> 10 s per point
    history = [
        dict(iter=100, wall=20.0, **{'accuracy/top1': 40.0, 'accuracy/top5': 90.0}),
        dict(iter=200, wall=170.0, **{'accuracy/top1': 65.0, 'accuracy/top5': 95.0}),
        dict(iter=300, wall=320.0, **{'accuracy/top1': 70.0, 'accuracy/top5': 90.0}),
    ]
    mat1 = mat_at_k(history, 1)
    assert mat1['MAT'] == pytest.approx(10.0) and mat1['gain'] == pytest.approx(30.0) and mat1['evaluations'] == 3
    assert mat_at_k(history, 5)['MAT'] == 'n/a'  # no gain between first and last
    assert mat_at_k(history[:1], 1)['MAT'] == 'n/a'
