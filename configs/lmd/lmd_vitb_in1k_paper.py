# LMD ViT-B as the paper text describes it (arXiv 2312.07971), each choice from the text; the authors' released
# script differs (configs/lmd/lmd_vitb_in1k_script.py) and lmdkit's default mixes the two (lmd_vitb_in1k.py).
#   latent space    a VQ-GAN latent space projector (LSP), f = 8: LDM's vq-f8 (16384 codes of width 4,
#                   ch 128 x (1, 2, 2, 4), 2 residual blocks, attention at 32 px), 224 px -> 28x28x4 code latents
#   tokens          16x16-pixel patches: patch 2 on the f8 latents -> 14x14 = 196 tokens
#   decoder         a linear input layer (encoder width 768 -> decoder width 512), 8 blocks, and "spatial position
#                   recall" with the position table subtracted (negative SPE, §3.2.2)
#   loss            MSE on masked patches, no norm_pix
#   mask ratio      0.15 -> 0.75 (cosine)
#   optimiser       Adan, betas (0.98, 0.92, 0.99), weight decay 0.05, base lr 1.5e-4 per 256 images, 2048 images
#                   per step, 400 epochs with 40 warm-up (configs/_base_/schedules/adan_in1k_400e.py)
# The projector's weights: LDM's released vq-f8 (`first_stage_models/vq-f8/model.ckpt`, taming format) or a
# checkpoint of configs/vqgan/vqgan_f8_in1k.py, under checkpoints/vq-f8.
#   tools/dist_train.sh configs/lmd/lmd_vitb_in1k_paper.py 8
_base_ = ['./lmd_vitb_in1k.py']
model = dict(
    projector=dict(
        _delete_=True,
        type='VQGANProjector',
        in_channels=3,
        z_channels=4,
        embed_dim=4,
        num_codes=16384,
        ch=128,
        ch_mult=(1, 2, 2, 4),
        num_res_blocks=2,
        attn_resolutions=(32,),
        resolution=256,
        checkpoint='checkpoints/vq-f8/model.ckpt',
    ),
    backbone=dict(patch_size=2),
    neck=dict(grid_size=14, patch_size=2, negative_pos_embed=True),
)
prerequisites = dict(
    sd_vae=None,
    vq_f8=dict(key='model.projector.checkpoint',
               manual="Fetch LDM's first_stage_models/vq-f8/model.ckpt here, or train configs/vqgan/vqgan_f8_in1k.py "
                      '(docs/model_zoo.md)'),
)
