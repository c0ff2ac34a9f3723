# MicroDiT's unmasked phase on ImageNet-1k: the deferred-masking DiT-XL/2 continues at mask ratio 0 for 30k
# iterations at a constant 8e-5 (the official configs/res_256_finetune.yaml: 280k - 250k iterations).
#   tools/dist_train.sh configs/microdit/deferred_dit-xl2_in1k_unmasked-ft.py 8
_base_ = ['./deferred_dit-xl2_in1k.py']
model = dict(mask_scheduler=dict(ratio=0.0))
load_from = 'work_dirs/deferred_dit-xl2_in1k/iter_250000.pth'
optim_wrapper = dict(optimizer=dict(lr=8e-5))
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0, end=30_000)]
train_cfg = dict(max_iters=30_000, val_interval=10_000)
prerequisites = dict(pretrained=dict(key='load_from', train='configs/microdit/deferred_dit-xl2_in1k.py'))
