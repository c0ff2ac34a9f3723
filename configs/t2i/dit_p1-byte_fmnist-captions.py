# Text-to-image DiT on captioned Fashion-MNIST (configs/_base_/datasets/fmnist_captions.py): the captions ("a light
# large patterned pullover") go through a small byte-level transformer trained with the model (ByteTextEncoder,
# 2 blocks of width 128), whose tokens every DiT block cross-attends to and whose pooled vector joins the timestep
# embedding (PixArt-α's design); 10 % of the captions are dropped to the empty one for classifier-free guidance.
# The DiT of dit_s2_fmnist.py (width 192, 8 blocks, patch 1 on the 8x8x4 f4 VQ-GAN latents, encoded on the fly).
#   python tools/prepare.py configs/t2i/dit_p1-byte_fmnist-captions.py   # writes data/fmnist_captions
#   python tools/train.py configs/t2i/dit_p1-byte_fmnist-captions.py
_base_ = [
    '../_base_/models/dit_vqf4.py',
    '../_base_/datasets/fmnist_captions.py',
    '../_base_/schedules/adamw_const_2k.py',
    '../_base_/default_runtime.py',
]
model = dict(
    denoiser=dict(num_classes=0, text_dim=128),
    text_encoder=dict(type='ByteTextEncoder', dim=128, depth=2, num_heads=4, max_length=48),
    caption_dropout=0.1,
    sampling=dict(cfg_scale=4.0),
)
optim_wrapper = dict(type='AutocastOptimWrapper', dtype='bfloat16')
val_dataloader = dict(dataset=dict(indices=1000))
test_dataloader = val_dataloader
_prompts = ['a light large plain t-shirt', 'a dark small patterned t-shirt', 'a light large plain trouser',
            'a dark small plain dress', 'a light large patterned bag', 'a dark small plain bag',
            'a light small plain sneaker', 'a dark large patterned ankle boot']  # fmt: skip
custom_hooks = [
    dict(type='EMAHook', ema_type='SyncFreeEMA', momentum=5e-3, update_buffers=True),
    dict(type='SampleVisHook', interval=1000, num_per_class=8, prompts=_prompts),
]
default_hooks = dict(checkpoint=dict(interval=500, max_keep_ckpts=4), logger=dict(interval=50))
