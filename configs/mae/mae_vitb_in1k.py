# MAE ViT-B/16 (He et al., 2022): pixels, fixed 0.75 ratio, norm_pix target, ImageNet normalisation,
# AdamW blr 1.5e-4 x batch/256, betas (0.9, 0.95), wd 0.05; decoder 512 wide, 8 blocks.
_base_ = ['../lmd/lmd_vitb_in1k.py']
model = dict(
    data_preprocessor=dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    projector=dict(_delete_=True, type='IdentityProjector', in_channels=3),
    backbone=dict(img_size=224, patch_size=16, in_channels=3),
    neck=dict(grid_size=14, patch_size=16, out_channels=3),
    mask_scheduler=dict(_delete_=True, type='FixedMaskScheduler', ratio=0.75),
    loss=dict(norm_pix=True),
)
optim_wrapper = dict(optimizer=dict(_delete_=True, type='AdamW', fused=True, lr=1.5e-4 * 2048 / 256, betas=(0.9, 0.95), weight_decay=0.05))
prerequisites = dict(sd_vae=None)  # pixels: no SD-VAE
