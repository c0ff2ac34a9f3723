# Text-to-image latent U-Net on Conceptual Captions at 256 px: the SD-v1.4-like baseline of LMD's Table 4 — SD v1's
# U-Net widths (320, x1/2/4/4, 2 residual blocks per level, attention at 1/1, 1/2, 1/4 of the 32x32 latents, 8
# heads) as an ADM U-Net whose attention layers are followed by cross-attention to CLIP ViT-L/14's tokens (SD's
# spatial transformers also have a feed-forward layer and linear projections: this is "SD-like", not SD's weights).
# Otherwise dit_b2-clipl_cc3m.py (data, SD-VAE latents, text encoder, caption dropout, schedule).
#   tools/dist_train.sh configs/t2i/ldm-unet_clipl_cc3m.py 8
_base_ = ['./dit_b2-clipl_cc3m.py']
model = dict(
    denoiser=dict(_delete_=True, type='UNet', input_size=32, in_channels=4, model_channels=320,
                  channel_mult=(1, 2, 4, 4), num_res_blocks=2, attention_resolutions=(1, 2, 4), num_heads=8,
                  num_classes=0, text_dim=768, learn_sigma=False),
)  # fmt: skip
