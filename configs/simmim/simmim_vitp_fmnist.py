# SimMIM on full Fashion-MNIST with the ViT-pico of the MAE/LMD baselines (mae_vitp_fmnist.py): 32 px, 4-px tokens,
# mask units of 2x2 tokens (8 px: SimMIM's 32-px units over ViT-B/16's 16-px patches), ratio 0.6, the mask token
# at masked tokens, a linear head to each token's raw pixels, L1 on masked pixels; data, optimiser and schedule of
# the MAE baseline, for the LMD Table 1 analogue.
#   python tools/train.py configs/simmim/simmim_vitp_fmnist.py
_base_ = ['../mae/mae_vitp_fmnist.py']
model = dict(
    backbone=dict(type='SimMIMViT', mask_patch_size=8),
    neck=dict(_delete_=True, type='SimMIMLinearDecoder', in_dim=128, patch_size=4, out_channels=1, skip_tokens=1),
    loss=dict(_delete_=True, type='MaskedL1Loss'),
    mask_scheduler=dict(ratio=0.6),
    val_mask_ratio=0.6,
)
