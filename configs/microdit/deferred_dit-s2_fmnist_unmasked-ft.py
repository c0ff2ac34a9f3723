# MicroDiT's final unmasked phase on Fashion-MNIST: the deferred-masking model continues at mask ratio 0 (the plan
# then drops nothing: the dense DiT step) for 12 % more iterations at a third of the lr, constant (the official
# res_256_finetune.yaml: 30k iterations after 250k at 8e-5 after 2.4e-4).
#   python tools/train.py configs/microdit/deferred_dit-s2_fmnist_unmasked-ft.py
_base_ = ['./deferred_dit-s2_fmnist.py']
model = dict(mask_scheduler=dict(ratio=0.0))
load_from = 'work_dirs/deferred_dit-s2_fmnist/iter_3000.pth'
optim_wrapper = dict(optimizer=dict(lr=1e-4))
train_cfg = dict(max_iters=360)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0, end=360)]
prerequisites = dict(pretrained=dict(key='load_from', train='configs/microdit/deferred_dit-s2_fmnist.py', minutes=30))
