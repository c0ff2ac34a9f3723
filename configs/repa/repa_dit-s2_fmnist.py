# REPA on the Fashion-MNIST DiT (dit_s2_fmnist.py: 8 blocks 192 wide on cached f4 VQ-GAN latents, 64 tokens) with a
# teacher pretrained by lmdkit: the encoder of the LMD run lmd_vitp_vqf4-fmnist-cache_cos.py (an MAE-style ViT-pico
# on the same cached latents, 64 patch tokens 128 wide: the same grid, no resizing). Aligned after block 3 of 8
# (REPA: 8 of SiT-XL's 28, about a third of the way), weight 0.5 as REPA; the projector is 512 wide instead of
# REPA's 2048 (kept in proportion to this 192-wide DiT: at 2048 the projector alone would cost about as much as the
# DiT's step). Pretrain the teacher first (python tools/prepare.py CONFIG runs it).
#   python tools/train.py configs/repa/repa_dit-s2_fmnist.py
_base_ = ['../dit/dit_s2_fmnist.py']
model = dict(
    alignment=dict(type='REPALoss', depth=3, projector_dim=512, loss_weight=0.5,
                   teacher=dict(type='LmdkitEncoderTeacher', config='configs/lmd/lmd_vitp_vqf4-fmnist-cache_cos.py',
                                checkpoint='work_dirs/lmd_vitp_vqf4-fmnist-cache_cos/iter_6000.pth')),  # fmt: skip
)
prerequisites = dict(
    teacher=dict(
        key='model.alignment.teacher.checkpoint',
        train='configs/lmd/lmd_vitp_vqf4-fmnist-cache_cos.py',
        minutes=22,
    )
)
