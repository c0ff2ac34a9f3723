# LMD "w/o MDS" ablation: the full LMD config with a fixed 0.75 mask ratio instead of the schedule.
_base_ = ['../lmd/lmd_vitb_in1k.py']
model = dict(mask_scheduler=dict(_delete_=True, type='FixedMaskScheduler', ratio=0.75))
