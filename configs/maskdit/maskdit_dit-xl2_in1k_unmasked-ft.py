# MaskDiT's unmasked phase on ImageNet-1k: mask ratio 0, constant lr 5e-5, 64 images per GPU on 8 GPUs, up to
# 100k steps (the official configs/finetune/imagenet256-latent-const.yaml; its released checkpoint is 75k steps in).
#   tools/dist_train.sh configs/maskdit/maskdit_dit-xl2_in1k_unmasked-ft.py 8
_base_ = ['./maskdit_dit-xl2_in1k.py']
model = dict(mask_scheduler=dict(ratio=0.0))
load_from = 'work_dirs/maskdit_dit-xl2_in1k/iter_2000000.pth'
recipe = dict(batch_size=512)
optim_wrapper = dict(optimizer=dict(lr=5e-5))
train_cfg = dict(max_iters=100_000, val_interval=12_500)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0, end=100_000)]
prerequisites = dict(pretrained=dict(key='load_from', train='configs/maskdit/maskdit_dit-xl2_in1k.py'))
# at mask ratio 0 the mask token takes no part: DDP must not wait for its gradient
model_wrapper_cfg = dict(find_unused_parameters=True)
