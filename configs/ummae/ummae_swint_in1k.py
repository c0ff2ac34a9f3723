# UM-MAE Swin-T pretraining on ImageNet-1k at 256 px (Li et al., 2022; its recommended pyramid setting), from the
# official scripts (implus/UM-MAE Makefile target pretrain_mae_swin_tiny_256_mask_vmr025_200e, models_mae_swin.py
# mae_swin_tiny_256_dec512d2b): 16-px mask units (a 16x16 unit grid), uniform sampling with 25 % secondary masking,
# the kept units compacted to a 128-px image for a Swin-T (4-px tokens, 96 wide, (2, 2, 6, 2) blocks, window 8,
# position-MLP bias 32 wide), a 2-block 512-wide decoder expanding each last-stage token to 2x2 kept units, MSE with
# norm_pix on the dropped units; AdamW blr 1.5e-4 per 256 (4096 per step: 8 GPUs x 128 x 4 accumulation), betas
# (0.9, 0.95), wd 0.05, 200 epochs with 10 warm-up, random resized crops (0.2-1) and flips at 256 px.
# One deliberate difference: UM-MAE's decoder adds the kept units' positions in raster order to tokens that come in
# the compacted grid's order (a mismatch wherever a block row keeps units from both of its rows); here each decoder
# token gets its own unit's position (docs/components.md, UMMAESwin).
#   tools/dist_train.sh configs/ummae/ummae_swint_in1k.py 8
_base_ = ['./ummae_vitb_in1k.py']
model = dict(
    backbone=dict(_delete_=True, type='UMMAESwin', img_size=256, patch_size=4, in_channels=3, unit_size=16,
                  embed_dim=96, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24), window_size=8, posmlp_dim=32,
                  secondary_ratio=0.25),  # fmt: skip
    neck=dict(grid_size=16, patch_size=16, in_dim=768, embed_dim=512, depth=2, num_heads=16, cls_token=False,
              expand=2),  # fmt: skip
)
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImage', skip_corrupt=True),
    dict(type='RandomResizedCrop', scale=256, crop_ratio_range=(0.2, 1.0), interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]))  # fmt: skip
val_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImage'),
    dict(type='Resize', scale=(256, 256), keep_ratio=False, interpolation='bicubic'),
    dict(type='PackInputs'),
]))  # fmt: skip
test_dataloader = val_dataloader
