# Negative decoder position embedding (the authors' code: x - pos instead of x + pos).
_base_ = ['../lmd/lmd_vitp_fmnist_cos.py']
model = dict(neck=dict(negative_pos_embed=True))
