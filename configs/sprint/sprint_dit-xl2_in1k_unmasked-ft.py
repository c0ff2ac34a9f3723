# SPRINT's dense fine-tuning (snap-research/Sprint configs/train/SIT_XL_SPRINT_256_ft.yaml): mask ratio 0 (every
# token through the middle; the fusion and the 10 % path drop stay), lr 2e-4 at batch 1024 after a linear warm-up of
# 5,000 steps from 1 %, 200k steps, from the sparse pretraining's last checkpoint.
#   tools/dist_train.sh configs/sprint/sprint_dit-xl2_in1k_unmasked-ft.py 8
_base_ = ['./sprint_dit-xl2_in1k.py']
model = dict(mask_scheduler=dict(ratio=0.0))
load_from = 'work_dirs/sprint_dit-xl2_in1k/iter_400000.pth'
recipe = dict(batch_size=1024)
optim_wrapper = dict(optimizer=dict(lr=2e-4))
train_cfg = dict(max_iters=200_000)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=5000),
    dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=5000, end=200_000),
]
prerequisites = dict(pretrained=dict(key='load_from', train='configs/sprint/sprint_dit-xl2_in1k.py'))
