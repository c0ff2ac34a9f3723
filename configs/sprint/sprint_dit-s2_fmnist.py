# SPRINT on the Fashion-MNIST DiT of configs/dit/dit_s2_fmnist.py (8 blocks, 64 tokens on cached f4 latents), for
# the side-by-side comparison with DiT, MDTv2, TREAD and MaskDiT (issue #18): the official 2 dense + sparse middle
# + 2 dense split (here 2 + 4 + 2), 75 % of the tokens dropped in the middle (one of each 2x2 group), fusion with the
# encoder's output, 10 % path drop, path-drop guidance at the DiT baseline's scale. Everything else is the DiT
# baseline's; then sprint_dit-s2_fmnist_unmasked-ft.py.
#   python tools/train.py configs/sprint/sprint_dit-s2_fmnist.py
_base_ = ['../dit/dit_s2_fmnist.py']
model = dict(
    denoiser=dict(type='SprintDiT', encoder_depth=2, decoder_depth=2, path_drop_prob=0.1),
    mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.75),
    token_plan=dict(type='SparseDenseRouting', start=2, stop=6, structured=True),
    sampling=dict(path_drop_guidance=True),
)
