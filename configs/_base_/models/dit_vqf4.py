# DiT in the f4 VQ-GAN latent space of Fashion-MNIST (8x8x4 latents, patch 1 -> 64 tokens), class-conditional
# (10 classes + the null class for guidance), learned sigma, linear betas over 1000 steps, ε target.
# The cached latents have std ~1.5 (measured on 5,000 training images): latent_scale 0.667 brings them to ~1.
_base_ = ['./projectors/vqgan_f4_32px.py']
model = dict(
    type='MaskedDiffusion',
    data_preprocessor=dict(type='ImageOrLatentPreprocessor', mean=[127.5], std=[127.5]),
    projector={{_base_.vqgan_f4_32px}},
    denoiser=dict(
        type='DiT', arch='S', hidden_size=192, depth=8, num_heads=4, input_size=8, patch_size=1, in_channels=4,
        num_classes=10, class_dropout_prob=0.1, learn_sigma=True,
    ),
    diffusion=dict(schedule='linear', num_steps=1000, target='eps'),
    latent_scale=0.667,
    sampling=dict(sampler='ddim', steps=50, cfg_scale=2.0, cfg_schedule='constant'),
)
