# REG on Fashion-MNIST: repa_dit-s2_fmnist.py (DiT-S/2 on the cached f4 latents, aligned after block 3 to the
# encoder of an LMD run on the same cache) with the teacher's class token (128 wide) denoised alongside the latents,
# REG's weight 0.03 (Martinser/REG train.sh --cls 0.03). Pretrain the teacher first (python tools/prepare.py CONFIG).
#   python tools/train.py configs/reg/reg_dit-s2_fmnist.py
_base_ = ['../repa/repa_dit-s2_fmnist.py']
model = dict(
    denoiser=dict(type='REGDiT', rep_dim=128),
    rep_loss_weight=0.03,
)
