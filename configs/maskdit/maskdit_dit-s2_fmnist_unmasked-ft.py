# MaskDiT's unmasked phase on Fashion-MNIST: the model continues at mask ratio 0 (every token through encoder and
# decoder: the dense step; the MAE loss has no dropped tokens to score) at half the lr, constant, for 12 % more
# iterations (the official finetune config: lr 5e-5 after 1e-4, mask ratio 0; its released checkpoint is 75k steps
# after 2M).
#   python tools/train.py configs/maskdit/maskdit_dit-s2_fmnist_unmasked-ft.py
_base_ = ['./maskdit_dit-s2_fmnist.py']
model = dict(mask_scheduler=dict(ratio=0.0))
load_from = 'work_dirs/maskdit_dit-s2_fmnist/iter_3000.pth'
optim_wrapper = dict(optimizer=dict(lr=1.5e-4))
train_cfg = dict(max_iters=360)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0, end=360)]
prerequisites = dict(pretrained=dict(key='load_from', train='configs/maskdit/maskdit_dit-s2_fmnist.py', minutes=25))
# at mask ratio 0 the mask token takes no part: DDP must not wait for its gradient
model_wrapper_cfg = dict(find_unused_parameters=True)
