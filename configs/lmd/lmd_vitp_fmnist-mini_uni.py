# The quick start with the uniform mask schedule.
_base_ = ['./lmd_vitp_fmnist-mini_cos.py']
model = dict(mask_scheduler=dict(_delete_=True, type='UniformMaskScheduler'))
