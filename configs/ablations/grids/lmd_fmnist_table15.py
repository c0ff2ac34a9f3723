# Analogue of the LMD paper's Tables 1 and 5 on full Fashion-MNIST (CPU): latent LMD with each mask schedule,
# "w/o MDS" (fixed 0.75 in latent space), "w/o LSP" (pixel space, same 64 tokens) and pixel MAE, 2,000 iterations
# of batch 128 each (~6-7 min per variant on 2 cores). Needs the latent cache of the shipped f4 VQ-GAN
# (python tools/prepare.py configs/lmd/lmd_vitp_vqf4-fmnist-cache_cos.py). "w/o MAE" is a U-Net reconstructing the
# masked latents (MaskedUNet).
#   python tools/ablate.py configs/ablations/grids/lmd_fmnist_table15.py
_cache = 'configs/lmd/lmd_vitp_vqf4-fmnist-cache_cos.py'
variants = [
    dict(name='lmd-cos', config=_cache),
    dict(name='lmd-ps', config=_cache, cfg_options={'model.mask_scheduler': dict(type='PiecewiseMaskScheduler')}),
    dict(name='lmd-uni', config=_cache, cfg_options={'model.mask_scheduler': dict(type='UniformMaskScheduler')}),
    dict(name='wo-mds', config=_cache,
         cfg_options={'model.mask_scheduler': dict(type='FixedMaskScheduler', ratio=0.75)}),
    dict(name='wo-lsp', config='configs/lmd/lmd_vitp_fmnist_cos.py'),
    dict(name='wo-mae', config='configs/ablations/lmd_vitp_fmnist_wo-mae.py'),
    dict(name='mae-pixel', config='configs/mae/mae_vitp_fmnist.py'),
]
cfg_options = {
    'train_cfg.max_iters': 2000,
    'train_cfg.val_interval': 500,
    'param_scheduler.1.end': 2000,
    'default_hooks.checkpoint.interval': 1000,
    'custom_hooks.ReconstructionVisHook.interval': 0,
    'train_record.targets': {'recon/nmse': 0.45},  # TrainRecordHook's arguments
}
work_root = 'work_dirs/ablations/lmd_fmnist_table15'
