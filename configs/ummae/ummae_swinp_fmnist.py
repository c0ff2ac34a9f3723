# UM-MAE on a Swin-pico on full Fashion-MNIST: 32 px, 2-px tokens, 4-px mask units (the 8x8 unit grid of the ViT
# UM-MAE row), uniform sampling with 25 % secondary masking, the kept units compacted to 16 px; Swin-pico as the
# GreenMIM/SimMIM rows (3 stages 32-64-128 wide, 2 blocks each, window 4) with UM-MAE's position-MLP bias; a 2-block
# 64-wide decoder that expands each last-stage token to 2x2 kept units; data, optimiser and schedule of
# mae_vitp_fmnist.py, for the LMD Table 1 analogue.
#   python tools/train.py configs/ummae/ummae_swinp_fmnist.py
_base_ = ['../mae/mae_vitp_fmnist.py']
model = dict(
    backbone=dict(_delete_=True, type='UMMAESwin', img_size=32, patch_size=2, in_channels=1, unit_size=4,
                  embed_dim=32, depths=(2, 2, 2), num_heads=(2, 4, 8), window_size=4, secondary_ratio=0.25),  # fmt: skip
    neck=dict(grid_size=8, patch_size=4, in_dim=128, cls_token=False, expand=2),
)
