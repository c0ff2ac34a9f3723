# MDTv2-S/2 on ImageNet-1k 256x256 (sail-sg/MDT run.sh: decode_layer 6, mask ratio 0.3 (+U(0, 0.2)), batch 32 per
# GPU on 8 GPUs, Adan lr 5e-4 without weight decay): SD-VAE latents 32x32x4, 256 tokens, Min-SNR-5, EMA 0.9999.
#   tools/dist_train.sh configs/mdt/mdtv2_s2_in1k.py 8
_base_ = ['../dit/dit_xl2_in1k.py']
model = dict(
    denoiser=dict(_delete_=True, type='MDT', arch='S', version=2, decode_layers=6, input_size=32, patch_size=2,
                  in_channels=4, num_classes=1000, class_dropout_prob=0.1, learn_sigma=True),
    diffusion=dict(min_snr_gamma=5.0),
    mask_scheduler=dict(type='RandomRangeMaskScheduler', min_ratio=0.3, max_ratio=0.5),
    # MDTv2's evaluation: power-cosine guidance (scale 3.8, power 4 for the XL FID; the S model uses the same form)
    sampling=dict(sampler='ddpm', steps=250, cfg_scale=3.8, cfg_schedule='power-cosine', cfg_power=4.0,
                  guide_channels=3),
)
optim_wrapper = dict(optimizer=dict(_delete_=True, type='Adan', lr=5e-4, weight_decay=0.0))
train_record = dict(flush_interval=200)  # TrainRecordHook: write the record every 200 iterations
custom_hooks = [
    dict(type='EMAHook', ema_type='SyncFreeEMA', momentum=1e-4, update_buffers=True),
    dict(type='SampleVisHook', interval=50_000, num_per_class=1, classes=[88, 207, 279, 360, 387, 388, 417, 979]),
]
