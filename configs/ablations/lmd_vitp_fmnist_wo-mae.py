# LMD "w/o MAE" (paper Table 5): the latent LMD of lmd_vitp_vqf4-fmnist-cache_cos.py with its MAE encoder-decoder
# replaced by an ADM U-Net that reconstructs the masked latents from the whole 8x8 grid (masked cells zeroed plus
# a mask channel; 32 -> 64 channels, attention at 4x4, 0.76 M parameters vs the MAE's 0.92 M). Same data,
# schedule, loss and hooks.
_base_ = ['../lmd/lmd_vitp_vqf4-fmnist-cache_cos.py']
model = dict(
    backbone=dict(_delete_=True, type='MaskedUNet', img_size=8, patch_size=1, in_channels=4,
                  unet=dict(model_channels=32, channel_mult=(1, 2), num_res_blocks=1, attention_resolutions=(2,),
                            num_heads=4)),
    neck=None,
)
