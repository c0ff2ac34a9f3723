# UM-MAE on full Fashion-MNIST with the ViT-pico of the MAE baseline (mae_vitp_fmnist.py: 32 px, 4-px patches, an
# 8x8 grid): uniform sampling (one patch of every 2x2 kept) and 25 % secondary masking; everything else as the
# MAE baseline, for the LMD Table 1 analogue.
#   python tools/train.py configs/ummae/ummae_vitp_fmnist.py
_base_ = ['../mae/mae_vitp_fmnist.py']
model = dict(backbone=dict(type='UMMAEViT', secondary_ratio=0.25))
