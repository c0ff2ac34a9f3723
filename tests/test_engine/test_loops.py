"""How iterations map to optimiser steps, read from the config (no private MMEngine attributes)."""

from types import SimpleNamespace

from mmengine.config import Config

from lmdkit.engine.loops import AccumulatingTrainLoop, configured_accumulation, micro_batches_per_iteration


def test_the_accumulation_a_config_asks_for():
    assert configured_accumulation(Config(dict(optim_wrapper=dict(type='OptimWrapper', accumulative_counts=4)))) == 4
    assert configured_accumulation(Config(dict(optim_wrapper=dict(type='OptimWrapper')))) == 1
    assert configured_accumulation(Config(dict())) == 1  # a test-only config has no optimiser


def test_iterations_are_steps_under_the_accumulating_loop_and_micro_batches_otherwise():
    cfg = Config(dict(optim_wrapper=dict(type='OptimWrapper', accumulative_counts=3)))
    native = SimpleNamespace(cfg=cfg, train_loop=object())  # MMEngine's loop: one iteration per micro-batch
    assert micro_batches_per_iteration(native) == 3
    ours = SimpleNamespace(cfg=cfg, train_loop=AccumulatingTrainLoop.__new__(AccumulatingTrainLoop))
    assert micro_batches_per_iteration(ours) == 1
