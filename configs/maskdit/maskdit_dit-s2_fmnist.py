# MaskDiT (Zheng et al., 2024) on the Fashion-MNIST DiT of configs/dit/dit_s2_fmnist.py, for the side-by-side
# comparison (issue #18): half of the 64 tokens (the official mask ratio 0.5) are dropped at the input, the 8-block
# encoder sees the other half, a 2-block decoder of width 96 sees all of them (the dropped ones as the mask token),
# and the loss is the diffusion loss on the visible tokens plus 0.1 x the MAE loss on the dropped ones (the decoder's
# output there against the noisy input's normalised patches; official mae_loss_coef 0.1). The official decoder is
# 8 blocks of width 512 behind DiT-XL/2's 28 of width 1152; here it keeps the same share of the encoder's width.
# Unlike the official (no learned sigma), the output keeps the DiT baseline's learned sigma, so the two differ only in
# the masking; the MAE term scores the ε channels.
# Then the unmasked phase: configs/maskdit/maskdit_dit-s2_fmnist_unmasked-ft.py.
#   python tools/train.py configs/maskdit/maskdit_dit-s2_fmnist.py
_base_ = ['../dit/dit_s2_fmnist.py']
model = dict(
    denoiser=dict(type='MaskDiT', decoder_hidden_size=96, decoder_depth=2, decoder_num_heads=4),
    mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.5),
    token_plan=dict(type='DeferredMasking', start=0),
    mae_loss=dict(type='MaskedMSELoss', norm_pix=True, loss_weight=0.1),
)
