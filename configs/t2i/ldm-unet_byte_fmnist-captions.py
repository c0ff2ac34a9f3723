# Text-to-image latent U-Net on captioned Fashion-MNIST: dit_p1-byte_fmnist-captions.py with ldm_unet_fmnist.py's
# ADM U-Net, cross-attending to the caption after each self-attention (LDM / Stable Diffusion's conditioning; the
# pooled caption is not used, as SD v1).
_base_ = ['./dit_p1-byte_fmnist-captions.py']
model = dict(
    denoiser=dict(_delete_=True, type='UNet', input_size=8, in_channels=4, model_channels=64, channel_mult=(1, 2),
                  num_res_blocks=2, attention_resolutions=(2,), num_heads=4, num_classes=0, text_dim=128,
                  learn_sigma=True),
)  # fmt: skip
