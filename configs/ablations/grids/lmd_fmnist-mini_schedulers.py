# Mask schedules on the embedded Fashion-MNIST subset, pixel space, 600 iterations each (~1 min per variant):
#   python tools/ablate.py configs/ablations/grids/lmd_fmnist-mini_schedulers.py
variants = [
    dict(name='mae-fixed', config='configs/mae/mae_vitp_fmnist-mini.py'),
    dict(name='lmd-cos', config='configs/lmd/lmd_vitp_fmnist-mini_cos.py'),
    dict(name='lmd-ps', config='configs/lmd/lmd_vitp_fmnist-mini_ps.py'),
    dict(name='lmd-uni', config='configs/lmd/lmd_vitp_fmnist-mini_uni.py'),
]
cfg_options = {'default_hooks.checkpoint.interval': 600}
work_root = 'work_dirs/ablations/lmd_fmnist-mini_schedulers'
