# Runtime shared by every lmdkit config: iteration-based loop, safe atomic checkpoints, exact resume,
# per-iteration record + summary.json, CPU-safe DDP.
default_scope = 'lmdkit'

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # atomic_local: write to a temporary file and rename, so an interrupted save never corrupts a checkpoint
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=1000, max_keep_ckpts=3, backend_args=dict(backend='atomic_local')
    ),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
# Hooks of this config's own (visualisation, EMA...). The training program (lmdkit.apis.train, behind
# tools/train.py) adds the hooks every run has, each configured by a top-level key below (its arguments; None turns
# it off), and the hooks the algorithm needs (MaskScheduleHook for a scheduled mask ratio).
custom_hooks = []
# ExactResumeHook: RNG states and plain-data checkpoints, so a resumed run continues exactly.
exact_resume = dict()
# TrainRecordHook: train_record.jsonl every iteration, summary.json and curves.png at the end.
train_record = dict()
# NonFiniteGuardHook: optimiser steps with NaN/Inf gradients are skipped (on all ranks) and counted;
# max_consecutive skips in a row stop training.
nonfinite_guard = dict(max_consecutive=5)
# ... and InterruptCheckpointHook: Ctrl-C / SIGTERM stops all ranks at the same iteration with a checkpoint saved.
interrupt_checkpoint = dict(sync_interval=10)

env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0), dist_cfg=dict(backend='nccl'))
# DDP that also wraps CPU modules (gloo); identical to MMEngine's on CUDA.
model_wrapper_cfg = dict(type='lmdkit.CPUSafeDistributedDataParallel', broadcast_buffers=False, find_unused_parameters=False)

# TensorBoard is optional (pip install tensorboard): `tools/train.py --tensorboard` appends
# dict(type='TensorboardVisBackend'), or list it here.
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)
log_processor = dict(by_epoch=False, window_size=10)
log_level = 'INFO'
# load_from: a checkpoint to start from, strictly (its weights must fit the model), or
# dict(path=..., strict=False) to load what fits. Not set here, so that a config may give either form.
resume = False
randomness = dict(seed=0, diff_rank_seed=True, deterministic=False)
# torch.compile the training step (MMEngine): True, or dict(dynamic=True) since a growing mask ratio changes the
# number of visible tokens from step to step (set `compile = dict(_delete_=True, dynamic=True)` in a config).
# On the 2-core CPU the quick start had not finished its first compiled step after 8 minutes: keep it off on CPU.
compile = False
