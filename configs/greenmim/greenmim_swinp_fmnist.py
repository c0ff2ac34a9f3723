# GreenMIM on full Fashion-MNIST: a Swin-pico (32 px, 2-px tokens, 3 stages 32-64-128 wide, 2 blocks each, window 4)
# on the visible tokens of 8-px mask units at ratio 0.75, a 2-block 64-wide decoder without class token, MSE with
# norm_pix off as the MAE baseline; data, optimiser and schedule of mae_vitp_fmnist.py, for the LMD Table 1 analogue.
#   python tools/train.py configs/greenmim/greenmim_swinp_fmnist.py
_base_ = ['../mae/mae_vitp_fmnist.py']
model = dict(
    backbone=dict(_delete_=True, type='GreenMIMSwin', img_size=32, patch_size=2, in_channels=1, embed_dim=32,
                  depths=(2, 2, 2), num_heads=(2, 4, 8), window_size=4),  # fmt: skip
    neck=dict(grid_size=4, patch_size=8, in_dim=128, cls_token=False),
)
