# Analogue of MDTv2's decoder-depth ablation (MDTv2 paper, Table 9, 0 decoder blocks included) on full
# Fashion-MNIST (CPU): the 8 blocks of mdtv2_s2_fmnist.py split between encoder (halves joined by long shortcuts)
# and decoder, with the side-interpolator between them; schedule and scores of mdt_fmnist_table4.py:
#   python tools/ablate.py configs/ablations/grids/mdt_fmnist_table9.py
_base_ = ['./mdt_fmnist_table4.py']
_cfg = 'configs/mdt/mdtv2_s2_fmnist.py'
variants = [dict(name=f'decode-{n}', config=_cfg, cfg_options={'model.denoiser.decode_layers': n}) for n in (4, 0, 2, 6)]
work_root = 'work_dirs/ablations/mdt_fmnist_table9'
