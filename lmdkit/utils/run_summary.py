"""The ``summary.json`` a finished run leaves in its work dir, defined once: ``TrainRecordHook`` writes it,
``tools/eval_gen.py --work-dir`` adds sample-quality results to it, and the results table, the HTML report, model
export, the ablation runner and the plots read it, all through :class:`RunSummary`."""

import json
import os.path as osp
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Dict, List, Optional

SUMMARY_FILE = 'summary.json'


@dataclass
class RunSummary:
    """One run's results. Metric definitions: docs/metrics.md.

    Attributes:
        config, config_hash, experiment_name, work_dir: which run (the hash is of the resolved config's text).
        iters, max_iters: iterations trained (optimiser steps) of those planned.
        train_seconds: summed step wall time; session_seconds: the whole process, start-up included.
        final_loss, final_mask_ratio: the last iteration's values.
        skipped_steps: optimiser steps NonFiniteGuardHook skipped for non-finite gradients.
        efficiency: MIT, MLI, MLT and their inputs (``lmdkit.evaluation.efficiency``).
        val, val_history: the last validation metrics, and every validation (``iter``, ``wall``, metrics).
        time_to_target: per target, the first iteration and training seconds at which it was reached.
        MAT: ``MAT@1`` / ``MAT@5`` of a fine-tuning run.
        last_checkpoint: the newest checkpoint when training ended.
        environment: versions and hardware.
        curves: the loss / mask-ratio plot, when drawn.
        generative: sample-quality results, by feature network, then by tag (``iter_N`` or ``final``).
        extra: keys this version does not know (a newer writer's), kept so that rewriting loses nothing.
    """

    config: Optional[str] = None
    config_hash: Optional[str] = None
    experiment_name: Optional[str] = None
    work_dir: Optional[str] = None
    iters: int = 0
    max_iters: int = 0
    train_seconds: float = 0.0
    session_seconds: float = 0.0
    final_loss: Optional[float] = None
    final_mask_ratio: Optional[float] = None
    skipped_steps: int = 0
    efficiency: Dict[str, Any] = field(default_factory=dict)
    val: Optional[Dict[str, float]] = None
    val_history: List[Dict[str, float]] = field(default_factory=list)
    time_to_target: Dict[str, Any] = field(default_factory=dict)
    MAT: Dict[str, Any] = field(default_factory=dict)
    last_checkpoint: Optional[str] = None
    environment: Dict[str, Any] = field(default_factory=dict)
    curves: Optional[str] = None
    generative: Dict[str, Dict[str, Dict[str, Any]]] = field(default_factory=dict)
    extra: Dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def path_of(run: str) -> str:
        """The summary file of ``run`` (a work dir, or the file itself)."""
        return run if run.endswith('.json') and not osp.isdir(run) else osp.join(run, SUMMARY_FILE)

    @classmethod
    def exists(cls, run: str) -> bool:
        """Whether ``run`` (a work dir or a summary file) has a summary (its training finished)."""
        return osp.isfile(cls.path_of(run))

    @classmethod
    def is_complete(cls, run: str) -> bool:
        """Whether ``run`` has a summary and trained every planned iteration (a session cut short leaves a
        summary of fewer; resuming completes it)."""
        return cls.exists(run) and cls.read(run).complete

    @property
    def complete(self) -> bool:
        """Whether every planned iteration was trained (a summary without ``max_iters``, from an older writer, is
        taken as complete)."""
        return self.max_iters <= 0 or self.iters >= self.max_iters

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> 'RunSummary':
        """A summary from its JSON object; keys older versions did not write take their defaults."""
        known = {f.name for f in fields(cls)} - {'extra'}
        return cls(**{k: v for k, v in data.items() if k in known}, extra={k: v for k, v in data.items()
                                                                           if k not in known})  # fmt: skip

    @classmethod
    def read(cls, run: str) -> 'RunSummary':
        """The summary of ``run`` (a work dir or the file); a missing one raises, saying who writes it."""
        path = cls.path_of(run)
        if not osp.isfile(path):
            raise FileNotFoundError(f'no summary at {path} (TrainRecordHook writes it when training ends)')
        with open(path) as f:
            return cls.from_dict(json.load(f))

    def to_dict(self) -> Dict[str, Any]:
        """The JSON object, in the order of the fields; ``curves`` and ``generative`` only when present."""
        data = asdict(self)
        extra = data.pop('extra')
        if data['curves'] is None:
            del data['curves']
        if not data['generative']:
            del data['generative']
        return {**data, **extra}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)
