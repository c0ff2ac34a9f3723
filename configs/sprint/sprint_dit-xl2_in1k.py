# SPRINT (Park et al., 2025) on DiT-XL/2, ImageNet-1k 256 px, on the DiT-XL/2 config's data and SD-VAE latents. From
# the official code (snap-research/Sprint: configs/train/SIT_XL_SPRINT_256.yaml, src/models/sit.py,
# src/utils/utils.py): 28 blocks split 2 dense (encoder) + 24 sparse (middle) + 2 dense (decoder); 75 % of the
# tokens dropped in the middle, one random token kept per 2x2 group (structured_with_random_offset); the middle's
# output restored with a frozen mask token and fused with the encoder's by a linear map of their concatenation;
# whole-path drop of 10 % of the samples (cfg_mask_prob), label dropout 0.1; AdamW 1e-4, no weight decay, batch 256,
# gradient clip 1; path-drop guidance at sampling (configs/eval/SiT_XL_SPRINT_PDG.yaml: scale 3.0). Then
# sprint_dit-xl2_in1k_unmasked-ft.py. Not the official: its SiT (flow matching, RoPE, RMS-normed q/k) — here DiT's
# blocks and ε objective, so the comparison with DiT is of the sparse-dense scheme itself; and the budget, DiT's
# 400k iterations (the official pretrains up to 2M).
#   tools/dist_train.sh configs/sprint/sprint_dit-xl2_in1k.py 8
_base_ = ['../dit/dit_xl2_in1k.py']
model = dict(
    denoiser=dict(type='SprintDiT', encoder_depth=2, decoder_depth=2, path_drop_prob=0.1),
    mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.75),
    token_plan=dict(type='SparseDenseRouting', start=2, stop=26, structured=True),
    sampling=dict(cfg_scale=3.0, path_drop_guidance=True, guide_channels=None),  # the official guides every channel
)
optim_wrapper = dict(clip_grad=dict(max_norm=1.0))
