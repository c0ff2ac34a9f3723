# LMD in latent space out of the box: the f4 VQ-GAN shipped with lmdkit (lmdkit://pretrained/vqgan_f4_fmnist)
# encodes the embedded Fashion-MNIST subset on the fly; ViT-pico on its 8x8x4 latents (64 tokens), cosine mask
# schedule 0.15 -> 0.75, 600 iterations. Needs no prior step. The full-data version: lmd_vitp_vqf4-fmnist_cos.py.
_base_ = [
    '../_base_/models/lmd_vitp_vqf4.py',
    '../_base_/datasets/fmnist_mini.py',
    '../_base_/schedules/adamw_cos_600it.py',
    '../_base_/default_runtime.py',
]
custom_hooks = [
    dict(type='ReconstructionVisHook', interval=0, num_images=10),
]
default_hooks = dict(checkpoint=dict(interval=200))
