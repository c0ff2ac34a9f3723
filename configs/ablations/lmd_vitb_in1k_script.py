# The LMD authors' training script instead of the paper text: norm_pix on, negative decoder position
# embedding, blr 3e-4, Adan betas (0.98, 0.92, 0.90), grad clip 10.
_base_ = ['../lmd/lmd_vitb_in1k.py']
model = dict(loss=dict(norm_pix=True), neck=dict(negative_pos_embed=True))
recipe = dict(base_lr=3e-4)
optim_wrapper = dict(optimizer=dict(betas=(0.98, 0.92, 0.90)), clip_grad=dict(max_norm=10.0))
