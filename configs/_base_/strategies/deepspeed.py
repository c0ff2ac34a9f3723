# DeepSpeed ZeRO-2 in bf16 through MMEngine's DeepSpeedStrategy. CUDA only, optional package (pip install
# deepspeed). DeepSpeed owns the optimiser step: tools/train.py swaps the optimiser wrapper for MMEngine's
# DeepSpeedOptimWrapper (optimiser, constructor and paramwise_cfg kept; precision and clipping come from here).
#   _base_ = ['../lmd/lmd_vitb_in1k.py', '../_base_/strategies/deepspeed.py']; tools/dist_train.sh CONFIG 8
strategy = dict(
    type='DeepSpeedStrategy',
    bf16=dict(enabled=True),
    zero_optimization=dict(stage=2, overlap_comm=True, contiguous_gradients=True, reduce_bucket_size=5 * 10**8),
    gradient_clipping=1.0,
)
