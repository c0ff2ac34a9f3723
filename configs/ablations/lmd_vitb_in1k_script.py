# The LMD authors' training script (AnonymousPony/lmd) instead of the paper text, each choice from that script:
# SD-VAE posterior mode without the 0.18215 scale (scaling_factor 1.0), patch 4 on 28x28x4 latents (49 tokens),
# norm_pix on, the decoder's position embedding subtracted (negative), blr 3e-4 per 256 images,
# Adan betas (0.98, 0.92, 0.90), grad clip 10. The rest (ViT-B 12/8 blocks, mask range 0.15-0.75, cosine
# schedule, 400 epochs at 2048 images per step) is shared with configs/lmd/lmd_vitb_in1k.py.
_base_ = ['../lmd/lmd_vitb_in1k.py']
model = dict(
    projector=dict(scaling_factor=1.0), loss=dict(norm_pix=True), neck=dict(negative_pos_embed=True)
)
recipe = dict(base_lr=3e-4)
optim_wrapper = dict(optimizer=dict(betas=(0.98, 0.92, 0.90)), clip_grad=dict(max_norm=10.0))
