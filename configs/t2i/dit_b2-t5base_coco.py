# Text-to-image DiT-B/2 on COCO captions 2017 at 256 px with a T5 text encoder (PixArt-α's kind of conditioning:
# T5 v1.1 tokens with their padding masked in cross-attention; T5-base here, PixArt-α's T5-XXL with
# text_encoder.arch='t5-v1_1-xxl' and denoiser.text_dim=4096). Data: data/coco/{train2017,val2017}/*.jpg and
# annotations/captions_{train,val}2017.json (five captions per image: one drawn per access in training, the first
# for validation). Otherwise dit_b2-clipl_cc3m.py.
#   tools/dist_train.sh configs/t2i/dit_b2-t5base_coco.py 8
_base_ = ['./dit_b2-clipl_cc3m.py']
model = dict(
    denoiser=dict(text_dim=768),
    text_encoder=dict(_delete_=True, type='T5TextEncoder', checkpoint='checkpoints/t5-v1_1-base', arch='t5-v1_1-base',
                      max_length=120),
)  # fmt: skip
_coco = dict(_delete_=True, type='CocoCaptions', data_root='data/coco')
train_dataloader = dict(dataset=dict(**_coco, ann_file='annotations/captions_train2017.json', img_prefix='train2017',
                                     caption_mode='random', pipeline={{_base_.train_pipeline}}))  # fmt: skip
val_dataloader = dict(dataset=dict(**_coco, ann_file='annotations/captions_val2017.json', img_prefix='val2017',
                                   caption_mode='first', pipeline={{_base_.test_pipeline}}, indices=5000))  # fmt: skip
test_dataloader = val_dataloader
prerequisites = dict(
    clip=None,
    t5=dict(key='model.text_encoder.checkpoint',
            manual='Fetch google/t5-v1_1-base (config.json, model.safetensors, spiece.model or tokenizer.json) here '
                   '(docs/model_zoo.md)'),
)  # fmt: skip
