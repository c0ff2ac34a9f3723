# Analogue of the LMD paper's Table 1 on full Fashion-MNIST (CPU): masked-image-modelling pretraining at equal
# wall-clock, then the same linear probe of every encoder (the fair metric: the methods' losses differ in space,
# target and norm). Rows: LMD with the piecewise (PS) and cosine (CS) mask schedules on the cached f4 VQ-GAN
# latents, pixel MAE, SimMIM and GreenMIM on a Swin-pico, UM-MAE on the MAE's ViT-pico and on a Swin-pico (its
# pyramid form: kept units compacted, position-MLP window bias). Each pretraining gets
# ~240 s of training steps on an idle 2-core CPU: its iteration count is 240 s over its seconds per iteration,
# measured by the same runs at 150 iterations (warm-up 30) one after another on the idle machine:
#   lmd-cs 0.160, lmd-ps 0.166, mae 0.160, simmim 0.203, ummae 0.157, greenmim 0.094 s/iter;
#   ummae-swin 0.179 s/iter (measured later, 2026-12-01, the same way on the idle machine).
# The table reports each run's real training seconds. Probes: 1,500 iterations of SGD on the frozen encoder
# (configs/_base_/schedules/linprobe_fmnist_1500it.py). Needs the latent cache of the shipped f4 VQ-GAN
# (python tools/prepare.py configs/lmd/lmd_vitp_vqf4-fmnist-cache_cos.py).
#   python tools/ablate.py configs/ablations/grids/mim_fmnist_table1.py
work_root = 'work_dirs/ablations/mim_fmnist_table1'
score = 'top1'  # the bar plot: linear-probe top-1 of the probe rows
_cache = 'configs/lmd/lmd_vitp_vqf4-fmnist-cache_cos.py'
_pretraining = dict(  # name: (config, iterations, extra options)
    lmd_cs=(_cache, 1500, {}),
    lmd_ps=(_cache, 1450, {'model.mask_scheduler': dict(type='PiecewiseMaskScheduler')}),
    mae=('configs/mae/mae_vitp_fmnist.py', 1500, {}),
    simmim=('configs/simmim/simmim_swinp_fmnist.py', 1200, {}),
    ummae=('configs/ummae/ummae_vitp_fmnist.py', 1550, {}),
    greenmim=('configs/greenmim/greenmim_swinp_fmnist.py', 2550, {}),
    ummae_swin=('configs/ummae/ummae_swinp_fmnist.py', 1350, {}),
)
_probes = dict(
    lmd_cs='configs/finetune/vitp_lmd-vqf4-pre_linprobe_fmnist.py',
    lmd_ps='configs/finetune/vitp_lmd-vqf4-pre_linprobe_fmnist.py',
    mae='configs/finetune/vitp_mae-pre_linprobe_fmnist.py',
    simmim='configs/finetune/swinp_simmim-pre_linprobe_fmnist.py',
    ummae='configs/finetune/vitp_ummae-pre_linprobe_fmnist.py',
    greenmim='configs/finetune/swinp_greenmim-pre_linprobe_fmnist.py',
    ummae_swin='configs/finetune/swinp_ummae-pre_linprobe_fmnist.py',
)
variants = [
    dict(name='pre-' + name.replace('_', '-'), config=config,
         cfg_options={**extra, 'train_cfg.max_iters': iters, 'train_cfg.val_interval': iters,
                      'param_scheduler.1.end': iters, 'default_hooks.checkpoint.interval': iters,
                      'custom_hooks.ReconstructionVisHook.interval': 0})
    for name, (config, iters, extra) in _pretraining.items()
] + [
    dict(name='probe-' + name.replace('_', '-'), config=config,
         cfg_options={'model.backbone.init_cfg.checkpoint':
                      f"{work_root}/pre-{name.replace('_', '-')}/iter_{_pretraining[name][1]}.pth"})
    for name, config in _probes.items()
]  # fmt: skip
