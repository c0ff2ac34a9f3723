# ViT-B/16 linear probe on ImageNet-1k (MAE's protocol) of an LMD pretraining (configs/lmd/lmd_vitb_in1k.py;
# inputs scaled to [-1, 1] as in pretraining).
_base_ = ['./vitb_mae-pre_linprobe_in1k.py']
model = dict(
    data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3),
    backbone=dict(init_cfg=dict(checkpoint='work_dirs/lmd_vitb_in1k/iter_250000.pth')),
)
