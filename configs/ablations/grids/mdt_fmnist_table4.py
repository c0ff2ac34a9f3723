# Analogue of the MDT/MDTv2 component ablations (MDTv2 paper, Table 4) on full Fashion-MNIST (CPU): MDTv2 of
# configs/mdt/mdtv2_s2_fmnist.py with one switch changed per row, every row 400 iterations of batch 128 (~8 min
# each in bf16 on 2 cores; the paper compares at equal steps too), scored by the validation diffusion MSE of the
# full-input pass (2,000 test latents at fixed timesteps and noise; what sampling uses) and, per run, FID by
# tools/eval_gen.py:
#   python tools/ablate.py configs/ablations/grids/mdt_fmnist_table4.py
#   python tools/eval_gen.py work_dirs/ablations/mdt_fmnist_table4/<variant> --num 2000     # FID-FMNIST, per run
# The rows, as the switches implement them (lmdkit/models/backbones/mdt.py, MaskedDiffusion):
#   symmetric: the encoder sees every position, the dropped ones as the mask token (asymmetric=False);
#   wo-side: no side-interpolator block, mask tokens and positions only (side_blocks=0); side-2: two blocks;
#   wo-masked-shortcut: kept tokens also take the side-interpolator's output; wo-side-pos: no learnable position
#   embedding before the side-interpolator; fixed-pos: position embeddings stay sin-cos; wo-rel-bias: plain
#   attention; masked-loss: the masked pass's loss on dropped tokens only; masked-input-only: no full-input pass;
#   no-masking: the same MDTv2 trained on the full-input loss only (a DiT-style objective).
_base = 'configs/mdt/mdtv2_s2_fmnist.py'
variants = [
    dict(name='mdtv2', config=_base),
    dict(name='symmetric', config=_base, cfg_options={'model.denoiser.asymmetric': False}),
    dict(name='wo-side', config=_base, cfg_options={'model.denoiser.side_blocks': 0}),
    dict(name='side-2', config=_base, cfg_options={'model.denoiser.side_blocks': 2}),
    dict(name='wo-masked-shortcut', config=_base, cfg_options={'model.denoiser.masked_shortcut': False}),
    dict(name='wo-side-pos', config=_base, cfg_options={'model.denoiser.side_pos_embed': False}),
    dict(name='fixed-pos', config=_base, cfg_options={'model.denoiser.learn_pos_embed': False}),
    dict(name='wo-rel-bias', config=_base, cfg_options={'model.denoiser.rel_pos_bias': False}),
    dict(name='masked-loss', config=_base, cfg_options={'model.masked_loss_on': 'masked'}),
    dict(name='masked-input-only', config=_base, cfg_options={'model.full_loss_weight': 0.0}),
    dict(name='no-masking', config=_base, cfg_options={'model.mask_scheduler': None}),
]
cfg_options = {
    'train_cfg.max_iters': 400,
    'train_cfg.val_interval': 400,
    'param_scheduler.1.end': 400,
    'default_hooks.checkpoint.interval': 400,
    'custom_hooks.SampleVisHook.interval': 0,
}
work_root = 'work_dirs/ablations/mdt_fmnist_table4'
score = 'val_diffusion_mse'
