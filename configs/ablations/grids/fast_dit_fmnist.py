# The fast-training methods side by side (issue #18) on full Fashion-MNIST (CPU): DiT, MDTv2, MaskDiT, TREAD,
# MicroDiT's deferred masking, SPRINT, REPA and REG, each the Fashion-MNIST config of its method on the same cached f4
# latents, optimiser, bf16 autocast and EMA, given the same training time: its iteration count is _BUDGET seconds
# over its seconds per iteration, measured by the same configs at 150 iterations (after 30), one after another on
# the idle 2-core machine (2026-12-01):
#   dit 0.595, mdtv2 1.170, maskdit 0.370, tread 0.507, deferred 0.324, sprint 0.397, repa 0.635 s/iter;
# REG (added later) is given REPA's figure: its step is REPA's with one more token of 65 (tools/benchmark.py
# --breakdown on both, docs/benchmarks.md, checks it). These figures predate the faster DiT/MDT steps and fused AdamW
# of issue #15 (2026-12-02): measure them again before rerunning the grid as an equal-time comparison.
# Checkpoints at each quarter of the budget, for the FID-vs-time curve. The unmasked fine-tuning phases of MaskDiT,
# deferred masking and SPRINT are not in this grid (their own configs continue from these runs); REPA's teacher is
# pretrained beforehand and its time is not counted (REPA's practice: the teacher is off the shelf): the LMD encoder
# of the Table 1 grid's pre-lmd-cs run (lmd_vitp_vqf4-fmnist-cache_cos.py at 1,500 iterations; python tools/ablate.py
# configs/ablations/grids/mim_fmnist_table1.py --only pre-lmd-cs makes it in 4 minutes). Then score every
# checkpoint: samples from python tools/sample.py RUN/CONFIG RUN/iter_N.pth, then python tools/eval_gen.py
# SAMPLES.npz --ref configs/_base_/datasets/fmnist.py --classifier configs/evaluation/convnet_fmnist.py
# CLASSIFIER.pth --work-dir RUN --tag iter_N (as docs/benchmarks.md's Table 3 analogue), and plot with
# tools/analysis/plot_gen_metric.py. Needs the latent cache (python tools/prepare.py
# configs/lmd/lmd_vitp_vqf4-fmnist-cache_cos.py makes it) and the teacher run. 300 s each: the grid, its scoring and
# the test suite fit one 3-hour session on the 2-core machine; raise _BUDGET for a longer comparison (a run that ends
# early resumes; one whose max_iters changed must be deleted first).
#   python tools/ablate.py configs/ablations/grids/fast_dit_fmnist.py
work_root = 'work_dirs/ablations/fast_dit_fmnist'
score = 'FID-convnet_fmnist'  # after tools/analysis/score_checkpoints.py (the final checkpoint's FID)
_BUDGET = 300  # training seconds per method
_methods = dict(  # name: (config, seconds per iteration)
    dit=('configs/dit/dit_s2_fmnist.py', 0.595),
    mdtv2=('configs/mdt/mdtv2_s2_fmnist.py', 1.170),
    maskdit=('configs/maskdit/maskdit_dit-s2_fmnist.py', 0.370),
    tread=('configs/tread/tread_dit-s2_fmnist.py', 0.507),
    deferred=('configs/microdit/deferred_dit-s2_fmnist.py', 0.324),
    sprint=('configs/sprint/sprint_dit-s2_fmnist.py', 0.397),
    repa=('configs/repa/repa_dit-s2_fmnist.py', 0.635),
    reg=('configs/reg/reg_dit-s2_fmnist.py', 0.635),
)
_iters = {name: int(round(_BUDGET / s / 100)) * 100 for name, (_, s) in _methods.items()}  # 4 checkpoints apart
_teacher = {'model.alignment.teacher.checkpoint': f'{work_root}/../mim_fmnist_table1/pre-lmd-cs/iter_1500.pth'}
variants = [
    dict(name=name, config=config,
         cfg_options={'train_cfg.max_iters': _iters[name], 'train_cfg.val_interval': _iters[name] // 4,
                      'param_scheduler.1.end': _iters[name], 'default_hooks.checkpoint.interval': _iters[name] // 4,
                      'default_hooks.checkpoint.max_keep_ckpts': 4, **(_teacher if name in ('repa', 'reg') else {})})
    for name, (config, _) in _methods.items()
]  # fmt: skip
