# The latent U-Net out of the box: dit_vqf4_fmnist-mini.py (embedded subset, shipped f4 VQ-GAN, 600 iterations)
# with the ADM U-Net of ldm_unet_fmnist.py (64 -> 128 channels, attention at 4x4). Needs no prior step.
_base_ = ['../dit/dit_vqf4_fmnist-mini.py']
model = dict(
    denoiser=dict(
        _delete_=True, type='UNet', input_size=8, in_channels=4, model_channels=64, channel_mult=(1, 2),
        num_res_blocks=2, attention_resolutions=(2,), num_heads=4, num_classes=10, class_dropout_prob=0.1,
        learn_sigma=True,
    )
)
