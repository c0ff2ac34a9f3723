# Text-to-image DiT-B/2 on Conceptual Captions at 256 px: the baseline of LMD's Table 4 setting (SD-v1.4-like
# conditioning on SD-VAE latents), with PixArt-α's text conditioning: every block cross-attends to the frozen CLIP
# ViT-L/14 text tower's 77 tokens (SD v1's encoder) after self-attention, and the pooled end-of-text state joins the
# timestep embedding; 10 % of captions dropped to the empty caption for classifier-free guidance.
# SD-VAE ft-MSE latents 32x32x4 x 0.18215 (posterior samples), AdamW 1e-4, batch 256, EMA 0.9999.
#   tools/dist_train.sh configs/t2i/dit_b2-clipl_cc3m.py 8
_base_ = [
    '../_base_/datasets/cc3m_wds.py',
    '../_base_/default_runtime.py',
]
model = dict(
    type='MaskedDiffusion',
    data_preprocessor=dict(type='ImageOrLatentPreprocessor', mean=[127.5] * 3, std=[127.5] * 3),
    projector=dict(type='AutoencoderKLProjector', scaling_factor=0.18215, sample_posterior=True,
                   checkpoint='checkpoints/sd-vae-ft-mse'),
    denoiser=dict(type='DiT', arch='B', input_size=32, patch_size=2, in_channels=4, num_classes=0, text_dim=768,
                  learn_sigma=True),
    text_encoder=dict(type='CLIPTextEncoder', checkpoint='checkpoints/clip-vit-large-patch14', arch='vit-l-14'),
    caption_dropout=0.1,
    diffusion=dict(schedule='linear', num_steps=1000, target='eps'),
    sampling=dict(sampler='ddim', steps=50, cfg_scale=4.5),
)  # fmt: skip
recipe = dict(batch_size=256)
val_dataloader = dict(dataset=dict(indices=5000))
test_dataloader = val_dataloader
optim_wrapper = dict(type='AutocastOptimWrapper', optimizer=dict(type='AdamW', fused=True, lr=1e-4, weight_decay=0.0))
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0, end=400_000)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=400_000, val_interval=50_000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
train_record = dict(flush_interval=200)
_prompts = ['a dog running on the beach', 'a red double-decker bus in the city', 'a bowl of fruit on a table',
            'a mountain lake at sunset']  # fmt: skip
custom_hooks = [
    dict(type='EMAHook', ema_type='SyncFreeEMA', momentum=1e-4, update_buffers=True),
    dict(type='SampleVisHook', interval=50_000, num_per_class=4, prompts=_prompts),
]
default_hooks = dict(checkpoint=dict(interval=50_000), logger=dict(interval=100))
prerequisites = dict(
    sd_vae=dict(key='model.projector.checkpoint', manual='Fetch stabilityai/sd-vae-ft-mse here (docs/model_zoo.md)'),
    clip=dict(key='model.text_encoder.checkpoint',
              manual='Fetch openai/clip-vit-large-patch14 (config.json, model.safetensors, vocab.json, merges.txt) '
                     'here (docs/model_zoo.md)'),
)  # fmt: skip
