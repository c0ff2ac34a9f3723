"""Text encoders: CLIP's and T5's text towers from local folders against transformers run directly, and the small
byte-level encoder's masking, gradients and learning."""

import pytest
import torch
import torch.nn.functional as F

from lmdkit.registry import TEXT_ENCODERS

from ..conftest import require, tiny_clip_dir, tiny_t5_dir

CAPTIONS = ['a dark shirt', 'a small light bag', 'boot']
# the architectures tiny_clip_dir and tiny_t5_dir save
TINY_CLIP = dict(vocab_size=514, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                 num_attention_heads=2)  # fmt: skip
TINY_T5 = dict(vocab_size=11, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4, feed_forward_proj='relu')


def test_clip_text_encoder_matches_transformers_run_directly(tmp_path):
    require('transformers')
    from transformers import CLIPTextModel, CLIPTokenizer

    model_dir = tiny_clip_dir(tmp_path)
    encoder = TEXT_ENCODERS.build(dict(type='CLIPTextEncoder', checkpoint=model_dir, arch=TINY_CLIP))
    encoder.init_weights()
    assert encoder.dim == 32 and encoder.max_length == 77
    out = encoder(CAPTIONS)
    ref_model = CLIPTextModel.from_pretrained(model_dir).eval()
    ids = CLIPTokenizer.from_pretrained(model_dir)(CAPTIONS, padding='max_length', max_length=77, return_tensors='pt')
    with torch.no_grad():
        ref = ref_model(input_ids=ids['input_ids'], output_hidden_states=True)
    assert out.tokens.shape == (3, 77, 32) and out.mask.shape == (3, 77) and out.pooled.shape == (3, 32)
    torch.testing.assert_close(out.tokens, ref.last_hidden_state)
    torch.testing.assert_close(out.pooled, ref.pooler_output)
    assert out.mask.all()  # SD v1: cross-attention sees all 77 positions
    masked = TEXT_ENCODERS.build(dict(type='CLIPTextEncoder', checkpoint=model_dir, arch=TINY_CLIP, mask_padding=True))
    masked.init_weights()
    assert masked(CAPTIONS).mask.tolist() == ids['attention_mask'].bool().tolist()
    # clip skip: the penultimate layer through the final layer norm (diffusers' clip_skip=1)
    skip = TEXT_ENCODERS.build(dict(type='CLIPTextEncoder', checkpoint=model_dir, arch=TINY_CLIP, hidden_layer=-2))
    skip.init_weights()
    skip = skip(CAPTIONS)
    torch.testing.assert_close(
        skip.tokens, getattr(ref_model, 'text_model', ref_model).final_layer_norm(ref.hidden_states[-2]).detach()
    )
    assert not any(p.requires_grad for p in encoder.parameters())
    assert not encoder.train().training


def test_clip_text_encoder_builds_without_files_and_names_what_it_cannot_read(tmp_path):
    require('transformers')
    nowhere = TEXT_ENCODERS.build(dict(type='CLIPTextEncoder', checkpoint=str(tmp_path / 'nowhere')))
    assert nowhere.dim == 768 and sum(p.numel() for p in nowhere.parameters()) == 123_060_480  # SD v1's tower
    with pytest.raises(FileNotFoundError, match=r'no folder at .*nowhere.*config.json, model.safetensors'):
        nowhere.init_weights()
    (tmp_path / 'clip').mkdir()
    model_dir = tiny_clip_dir(tmp_path / 'clip')
    with pytest.raises(ValueError, match=r"another model than CLIPTextEncoder's arch: .*'hidden_size': \(32, 768\)"):
        TEXT_ENCODERS.build(dict(type='CLIPTextEncoder', checkpoint=model_dir)).init_weights()
    (tmp_path / 'clip' / 'merges.txt').unlink()
    (tmp_path / 'clip' / 'tokenizer.json').unlink(missing_ok=True)
    encoder = TEXT_ENCODERS.build(dict(type='CLIPTextEncoder', checkpoint=model_dir, arch=TINY_CLIP))
    encoder.init_weights()  # the weights are there
    with pytest.raises(FileNotFoundError, match=r'no tokenizer in .*clip \(expected tokenizer.json or vocab.json \+'):
        encoder(['a bag'])


def test_t5_text_encoder_matches_transformers_with_its_mask(tmp_path):
    require('transformers')
    from transformers import AutoTokenizer, T5EncoderModel

    model_dir = tiny_t5_dir(tmp_path)
    encoder = TEXT_ENCODERS.build(dict(type='T5TextEncoder', checkpoint=model_dir, arch=TINY_T5, max_length=8))
    encoder.init_weights()
    out = encoder(CAPTIONS)
    ids = AutoTokenizer.from_pretrained(model_dir)(CAPTIONS, padding='max_length', max_length=8, return_tensors='pt')
    with torch.no_grad():
        ref = T5EncoderModel.from_pretrained(model_dir).eval()(**ids).last_hidden_state
    assert out.tokens.shape == (3, 8, 32)
    torch.testing.assert_close(out.tokens, ref)
    assert out.mask.tolist() == ids['attention_mask'].bool().tolist()
    for i in range(3):  # the pooled vector: the mean over the caption's own tokens
        n = int(ids['attention_mask'][i].sum())
        torch.testing.assert_close(out.pooled[i], ref[i, :n].mean(0))


def test_byte_encoder_ignores_padding_and_learns():
    torch.manual_seed(0)
    encoder = TEXT_ENCODERS.build(dict(type='ByteTextEncoder', dim=32, depth=2, num_heads=4, max_length=24))
    assert encoder.training and not encoder.frozen
    encoder.eval()
    alone = encoder(['a bag'])
    batched = encoder(['a bag', 'a much longer caption'])
    n = 1 + len('a bag')  # the start token and the bytes
    assert alone.mask[0].sum() == n and batched.mask[1].sum() == 1 + len('a much longer caption')
    # the states of a caption's own bytes do not depend on padding or on the other captions
    torch.testing.assert_close(batched.tokens[0, :n], alone.tokens[0, :n])
    torch.testing.assert_close(alone.pooled[0], alone.tokens[0, :n].mean(0))
    assert encoder(['x' * 40]).mask.sum() == 24  # cut at max_length
    empty = encoder([''])
    assert empty.mask.sum() == 1 and torch.isfinite(empty.tokens).all()  # the empty caption: its start token

    encoder.train()
    head = torch.nn.Linear(32, 2)
    opt = torch.optim.AdamW([*encoder.parameters(), *head.parameters()], lr=3e-3)
    captions, labels = ['a dark shirt', 'a light shirt'] * 4, torch.tensor([0, 1] * 4)
    losses = []
    for _ in range(30):
        loss = F.cross_entropy(head(encoder(captions).pooled), labels)
        opt.zero_grad()
        loss.backward()
        losses.append(loss.item())
        opt.step()
    assert losses[-1] < 0.5 * losses[0]
    grads = {name for name, p in encoder.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}
    assert grads == {name for name, _ in encoder.named_parameters()}


def test_a_single_string_is_refused():
    encoder = TEXT_ENCODERS.build(dict(type='ByteTextEncoder', dim=16, depth=1, num_heads=2))
    with pytest.raises(TypeError, match='wrap it in a list'):
        encoder('a bag')
