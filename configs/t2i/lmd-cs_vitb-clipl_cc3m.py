# Text-to-image LMD-CS (LMD Table 4's model) on Conceptual Captions at 256 px: the paper's generative setting (ViT-B
# encoder of 8 blocks, a 12-block decoder of width 1024 behind the latent linear layer 768 -> 1024, cosine mask
# schedule 0.15 -> 0.75, SD-VAE latents 32x32x4, patch 4 -> 64 tokens) whose decoder cross-attends to the frozen CLIP
# ViT-L/14 tokens (SD v1's text encoder) after each block; 10 % of captions dropped for guidance. How LMD takes text
# is not in the paper: this is lmdkit's design. Compare with t2i/dit_b2-clipl_cc3m.py and ldm-unet_clipl_cc3m.py.
#   tools/dist_train.sh configs/t2i/lmd-cs_vitb-clipl_cc3m.py 8
_base_ = [
    '../_base_/models/lmd_vitb_in1k.py',
    '../_base_/datasets/cc3m_wds.py',
    '../_base_/schedules/adan_in1k_400e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(img_size=32, depth=8),
    neck=dict(grid_size=8, embed_dim=1024, depth=12, num_heads=16, text_dim=768),
    text_encoder=dict(type='CLIPTextEncoder', checkpoint='checkpoints/clip-vit-large-patch14', arch='vit-l-14'),
    caption_dropout=0.1,
    sampling=dict(steps=20, start_visible=0.15, cfg_scale=3.0),
)
recipe = dict(epochs=100)  # CC3M is 2.6x ImageNet: about as many steps as 256 ImageNet epochs
train_dataloader = dict(batch_size=128)
val_dataloader = dict(dataset=dict(indices=5000))
test_dataloader = val_dataloader
val_evaluator = dict(type='MaskedReconstructionMetric')
test_evaluator = val_evaluator
train_record = dict(flush_interval=200)
_prompts = ['a dog running on the beach', 'a red double-decker bus in the city', 'a bowl of fruit on a table',
            'a mountain lake at sunset']  # fmt: skip
custom_hooks = [
    dict(type='LatentPriorHook', num_samples=20_000),
    dict(type='SampleVisHook', interval=25_000, num_per_class=4, prompts=_prompts),
]
default_hooks = dict(checkpoint=dict(interval=5000), logger=dict(interval=100))
prerequisites = dict(
    clip=dict(key='model.text_encoder.checkpoint',
              manual='Fetch openai/clip-vit-large-patch14 (config.json, model.safetensors, vocab.json, merges.txt) '
                     'here (docs/model_zoo.md)'),
)  # fmt: skip
