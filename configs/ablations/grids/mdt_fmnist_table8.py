# Analogue of MDTv2's macro-structure ablation (MDTv2 paper, Table 8: long shortcuts in the encoder, dense input
# shortcuts into the decoder, separately and together) on full Fashion-MNIST (CPU), with the schedule and scores of
# mdt_fmnist_table4.py:
#   python tools/ablate.py configs/ablations/grids/mdt_fmnist_table8.py
_base_ = ['./mdt_fmnist_table4.py']
_cfg = 'configs/mdt/mdtv2_s2_fmnist.py'
variants = [
    dict(name='long+dense', config=_cfg),
    dict(name='long', config=_cfg, cfg_options={'model.denoiser.dense_shortcut': False}),
    dict(name='dense', config=_cfg, cfg_options={'model.denoiser.long_shortcut': False}),
    dict(name='none', config=_cfg,
         cfg_options={'model.denoiser.long_shortcut': False, 'model.denoiser.dense_shortcut': False}),
    dict(name='mdt-v1', config='configs/mdt/mdt_s2_fmnist.py'),
]
work_root = 'work_dirs/ablations/mdt_fmnist_table8'
