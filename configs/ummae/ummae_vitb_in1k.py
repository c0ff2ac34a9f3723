# UM-MAE ViT-B/16 pretraining on ImageNet-1k (Li et al., 2022; LMD's Table 1 row), from the official scripts
# (implus/UM-MAE Makefile, PRETRAIN.md, models_mae.py): uniform sampling (one 16-px patch of every 2x2 kept, 25 %)
# with secondary masking of 25 % of the kept patches, MSE with norm_pix on the patches uniform sampling dropped,
# a 2-block 512-wide decoder (mae_vit_base_patch16_dec512d2b), AdamW blr 1.5e-4 per 256 with betas (0.9, 0.95) and
# wd 0.05, 4096 images per step, 200 epochs with 10 warm-up, random resized crops (0.2-1) and flips at 224 px.
#   tools/dist_train.sh configs/ummae/ummae_vitb_in1k.py 8
_base_ = ['../mae/mae_vitb_in1k.py']
model = dict(
    backbone=dict(type='UMMAEViT', secondary_ratio=0.25),
    neck=dict(depth=2),
)
recipe = dict(batch_size=4096, base_lr=1.5e-4, base_batch_size=256, epochs=200)
optim_wrapper = dict(optimizer=dict(_delete_=True, type='AdamW', fused=True, betas=(0.9, 0.95), weight_decay=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=10),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=10, eta_min=0.0),
]
