# Deferred masking (MicroDiT; Sehwag et al., 2025) on the Fashion-MNIST DiT of configs/dit/dit_s2_fmnist.py, for the
# side-by-side comparison (issue #18): two more blocks in front serve as the patch mixer (they see all 64 tokens),
# then 75 % of the tokens are dropped for the 8 backbone blocks (the official train_mask_ratio 0.75) and the loss is
# taken on the kept tokens' latents only. MicroDiT's mixer is a separate transformer (6 blocks of width 768 in front
# of MicroDiT-XL/2's 28 of width 1024, micro_diffusion/models/dit.py); here it is the DiT's own first blocks at its
# width. Finish with the unmasked phase: configs/microdit/deferred_dit-s2_fmnist_unmasked-ft.py.
#   python tools/train.py configs/microdit/deferred_dit-s2_fmnist.py
_base_ = ['../dit/dit_s2_fmnist.py']
model = dict(
    denoiser=dict(depth=10),
    mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.75),
    token_plan=dict(type='DeferredMasking', start=2),
)
