# SimMIM with a Swin-pico encoder on full Fashion-MNIST: 32 px, 2-px tokens, 3 stages (32-64-128 wide, 2 blocks
# each, window 4) down to 8-px prediction patches (the mask units, as SimMIM's 32-px units are Swin-B's stride),
# ratio 0.6, linear head, L1 on masked pixels; data, optimiser and schedule of mae_vitp_fmnist.py.
#   python tools/train.py configs/simmim/simmim_swinp_fmnist.py
_base_ = ['./simmim_vitp_fmnist.py']
model = dict(
    backbone=dict(_delete_=True, type='SimMIMSwin', img_size=32, patch_size=2, in_channels=1, embed_dim=32,
                  depths=(2, 2, 2), num_heads=(2, 4, 8), window_size=4),  # fmt: skip
    neck=dict(in_dim=128, patch_size=8, skip_tokens=0),
)
