# MAE baseline on the full Fashion-MNIST: fixed 0.75 mask ratio.
_base_ = ['../lmd/lmd_vitp_fmnist_cos.py']
model = dict(mask_scheduler=dict(_delete_=True, type='FixedMaskScheduler', ratio=0.75))
