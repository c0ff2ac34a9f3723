# MAE baseline: LMD in pixel space with a fixed 0.75 mask ratio (a config, not a separate code path).
_base_ = ['../lmd/lmd_vitp_fmnist-mini_cos.py']
model = dict(mask_scheduler=dict(_delete_=True, type='FixedMaskScheduler', ratio=0.75))
