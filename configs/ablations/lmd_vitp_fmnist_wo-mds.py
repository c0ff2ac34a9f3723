# "w/o MDS" on full Fashion-MNIST: the LMD config with a fixed 0.75 ratio (one key changed).
_base_ = ['../lmd/lmd_vitp_fmnist_cos.py']
model = dict(mask_scheduler=dict(_delete_=True, type='FixedMaskScheduler', ratio=0.75))
