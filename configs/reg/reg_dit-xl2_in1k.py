# REG (Wu et al., 2025, "Representation Entanglement for Generation") on DiT-XL/2, ImageNet-1k 256 px: REPA's
# alignment (repa_dit-xl2_in1k.py: DINOv2-B final-norm tokens, block 8 of 28, projector 2048, weight 0.5) plus
# DINOv2-B's class token (x_norm_clstoken, 768 wide) noised with the latents, denoised alongside them (loss weight
# 0.03) and aligned as the first token — the official defaults (Martinser/REG train.sh: --enc-type dinov2-vit-b
# --encoder-depth 8 --proj-coeff 0.5 --cls 0.03; models/sit.py). Sampling generates the class token from noise with
# the latents and guides it by the same scale (eval.sh: --cls-cfg-scale = --cfg-scale). The official code trains
# SiT (linear interpolant, v-prediction, guidance interval up to t = 0.85); lmdkit applies the same losses to
# DiT's ε objective with the dit_xl2_in1k.py sampling. Needs a local Hugging Face copy of facebook/dinov2-base.
#   tools/dist_train.sh configs/reg/reg_dit-xl2_in1k.py 8
_base_ = ['../repa/repa_dit-xl2_in1k.py']
model = dict(
    denoiser=dict(type='REGDiT', rep_dim=768),
    rep_loss_weight=0.03,
)
