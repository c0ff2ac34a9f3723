# Quick start: LMD (pixel space) on the embedded Fashion-MNIST subset, cosine mask schedule 0.15 -> 0.75,
# 600 iterations (about a minute on 2 CPU cores). Writes checkpoints, train_record.jsonl, curves.png,
# reconstruction.png and summary.json to the work dir.
_base_ = [
    '../_base_/models/lmd_vitp_p4_32px.py',
    '../_base_/datasets/fmnist_mini.py',
    '../_base_/schedules/adamw_cos_600it.py',
    '../_base_/default_runtime.py',
]
custom_hooks = [
    dict(type='ReconstructionVisHook', interval=0, num_images=10),
]
default_hooks = dict(checkpoint=dict(interval=200))
