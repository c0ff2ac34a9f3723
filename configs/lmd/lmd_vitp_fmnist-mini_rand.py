# The quick start with the random-range mask schedule (MDTv2 style: r ~ U(0.3, 0.5) every iteration).
_base_ = ['./lmd_vitp_fmnist-mini_cos.py']
model = dict(mask_scheduler=dict(_delete_=True, type='RandomRangeMaskScheduler', min_ratio=0.3, max_ratio=0.5))
