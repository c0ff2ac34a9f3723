# LMD in the latent space of the f4 VQGAN on the full Fashion-MNIST (64 tokens of 4 channels), cosine schedule;
# images are encoded on the fly by the VQ-GAN shipped with lmdkit (lmdkit://pretrained/vqgan_f4_fmnist).
_base_ = [
    '../_base_/models/lmd_vitp_vqf4.py',
    '../_base_/datasets/fmnist.py',
    '../_base_/schedules/adamw_cos_6k.py',
    '../_base_/default_runtime.py',
]
custom_hooks = [
    dict(type='ReconstructionVisHook', interval=2000, num_images=10),
]
default_hooks = dict(checkpoint=dict(interval=1000), logger=dict(interval=100))
