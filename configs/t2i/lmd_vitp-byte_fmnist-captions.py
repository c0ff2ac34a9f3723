# Text-to-image LMD on captioned Fashion-MNIST: lmd_vitp_vqf4-fmnist_cos.py (ViT-p encoder on the 8x8x4 f4 VQ-GAN
# latents, 2-block decoder, cosine mask schedule 0.15 -> 0.75) whose decoder cross-attends to the caption after
# each block (ByteTextEncoder, trained with it; 10 % of captions dropped to the empty one). The paper does not say
# how LMD takes text: this is lmdkit's design (docs/components.md, "Text conditioning"). Generation: iterative
# unmasking from the fitted latent prior, guided against the empty caption (cfg_scale).
_base_ = [
    '../_base_/models/lmd_vitp_vqf4.py',
    '../_base_/datasets/fmnist_captions.py',
    '../_base_/schedules/adamw_cos_6k.py',
    '../_base_/default_runtime.py',
]
model = dict(
    neck=dict(text_dim=128),
    text_encoder=dict(type='ByteTextEncoder', dim=128, depth=2, num_heads=4, max_length=48),
    caption_dropout=0.1,
    sampling=dict(steps=10, start_visible=0.15, cfg_scale=2.0),
)
val_evaluator = dict(type='MaskedReconstructionMetric')
test_evaluator = val_evaluator
_prompts = ['a light large plain t-shirt', 'a dark small patterned t-shirt', 'a light large plain trouser',
            'a dark small plain dress', 'a light large patterned bag', 'a dark small plain bag',
            'a light small plain sneaker', 'a dark large patterned ankle boot']  # fmt: skip
custom_hooks = [
    dict(type='LatentPriorHook', num_samples=5000),
    dict(type='SampleVisHook', interval=2000, num_per_class=8, prompts=_prompts),
]
default_hooks = dict(checkpoint=dict(interval=1000), logger=dict(interval=100))
