# GreenMIM Swin-B pretraining on ImageNet-1k (Huang et al., 2022; LMD's Table 1 row), from the official code
# (LayneH/GreenMIM: green_mim_swin_base_patch4_dec512b1, main_pretrain.py, scripts/run_greenmim_swin_base.sh): Swin-B
# (128, (2, 2, 18, 2), (4, 8, 16, 32), window 7) on the visible tokens only, 32-px mask units (7x7 at 224 px) at
# ratio 0.75, one mask per batch; an MAE decoder (512 wide, 1 block, 16 heads, no class token) and MSE with norm_pix
# on the masked units; AdamW blr 1.5e-4 per 256 images, betas (0.9, 0.95), wd 0.05, random resized crops (0.2-1)
# and flips. The official scripts disagree on the schedule (200 or 800 epochs, batch 256-586 per GPU); this follows
# run_greenmim_swin_base.sh's 200 epochs with 40 warm-up, at 2048 images per step.
#   tools/dist_train.sh configs/greenmim/greenmim_swinb_in1k.py 8
_base_ = ['../mae/mae_vitb_in1k.py']
model = dict(
    backbone=dict(_delete_=True, type='GreenMIMSwin', img_size=224, patch_size=4, in_channels=3, embed_dim=128,
                  depths=(2, 2, 18, 2), num_heads=(4, 8, 16, 32), window_size=7),  # fmt: skip
    neck=dict(grid_size=7, patch_size=32, in_dim=1024, embed_dim=512, depth=1, num_heads=16, cls_token=False),
)
recipe = dict(batch_size=2048, base_lr=1.5e-4, base_batch_size=256, epochs=200)
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', fused=True, betas=(0.9, 0.95), weight_decay=0.05),
    paramwise_cfg=dict(custom_keys={'relative_position_bias_table': dict(decay_mult=0.0)}),
)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=40),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=40, eta_min=0.0),
]
