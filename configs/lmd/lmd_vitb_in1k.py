# LMD ViT-B/ImageNet-1k pretraining with the paper's settings (DESIGN.md); 8 GPUs x 256:
#   tools/dist_train.sh configs/lmd/lmd_vitb_in1k.py 8
_base_ = [
    '../_base_/models/lmd_vitb_in1k.py',
    '../_base_/datasets/in1k.py',
    '../_base_/schedules/adan_in1k_400e.py',
    '../_base_/default_runtime.py',
]
custom_hooks = [
    dict(type='ExactResumeHook'),
    dict(type='TrainRecordHook', flush_interval=200),
    dict(type='MaskScheduleHook'),
    dict(type='ReconstructionVisHook', interval=25_000, num_images=8),
]
default_hooks = dict(checkpoint=dict(interval=5000), logger=dict(interval=100))
