# SPRINT's dense fine-tuning on Fashion-MNIST: mask ratio 0 (the fusion and path drop stay) for 10 % more iterations
# (the official: 200k after 2M), with the official ft's linear warm-up from 1 % over the first 2.5 %.
#   python tools/train.py configs/sprint/sprint_dit-s2_fmnist_unmasked-ft.py
_base_ = ['./sprint_dit-s2_fmnist.py']
model = dict(mask_scheduler=dict(ratio=0.0))
load_from = 'work_dirs/sprint_dit-s2_fmnist/iter_3000.pth'
train_cfg = dict(max_iters=300)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=75),
    dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=75, end=300),
]
prerequisites = dict(pretrained=dict(key='load_from', train='configs/sprint/sprint_dit-s2_fmnist.py'))
