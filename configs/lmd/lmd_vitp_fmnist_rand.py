# Full Fashion-MNIST LMD with the random-range mask schedule.
_base_ = ['./lmd_vitp_fmnist_cos.py']
model = dict(mask_scheduler=dict(_delete_=True, type='RandomRangeMaskScheduler', min_ratio=0.3, max_ratio=0.5))
