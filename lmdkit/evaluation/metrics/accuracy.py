"""Top-k classification accuracy, in percent (mmpretrain's ``accuracy/top1`` convention)."""

from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmengine.evaluator import BaseMetric

from lmdkit.registry import METRICS


def topk_accuracy(scores: torch.Tensor, labels: torch.Tensor, topk: Sequence[int] = (1,)) -> List[float]:
    """Percent of rows of (N, K) ``scores`` whose label is among their k highest scores, for each k.

    Ties count as hits only within the k positions ``torch.topk`` picks; k larger than K is clipped to K.
    """
    if scores.ndim != 2 or labels.shape != scores.shape[:1]:
        raise ValueError(f'expected (N, K) scores and (N,) labels, got {tuple(scores.shape)} and {tuple(labels.shape)}')
    top = scores.topk(min(max(topk), scores.shape[1]), dim=1).indices  # (N, kmax)
    hits = top == labels[:, None]
    return [100.0 * float(hits[:, : min(k, scores.shape[1])].any(dim=1).float().mean()) for k in topk]


@METRICS.register_module()
class Accuracy(BaseMetric):
    """``accuracy/top1``, ``accuracy/top5``… over the evaluation set, from ``ImageClassifier.predict`` outputs.

    Samples without a label (``gt_label = -1``) are an error: evaluating classification needs labelled data.
    """

    default_prefix = 'accuracy'

    def __init__(self, topk: Union[int, Tuple[int, ...]] = (1, 5), collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:  # fmt: skip
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = (topk,) if isinstance(topk, int) else tuple(topk)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for d in data_samples:
            if d['gt_label'] < 0:
                raise ValueError('Accuracy: a sample has no label (gt_label = -1); evaluate on a labelled split')
            self.results.append((d['pred_score'], d['gt_label']))

    def compute_metrics(self, results: List[tuple]) -> dict:
        scores = torch.stack([r[0] for r in results])
        labels = torch.tensor([r[1] for r in results])
        return {f'top{k}': acc for k, acc in zip(self.topk, topk_accuracy(scores, labels, self.topk))}
