# Full Fashion-MNIST LMD with the piecewise mask schedule.
_base_ = ['./lmd_vitp_fmnist_cos.py']
model = dict(mask_scheduler=dict(_delete_=True, type='PiecewiseMaskScheduler'))
