"""Projectors: equality with diffusers (SD-VAE) and taming-transformers (VQGAN) on random weights, every weight
format loaded strictly from files the tests write, and the projector interface."""

import argparse
import os

import pytest
import torch

from lmdkit.fileio.converters import diffusers_to_ldm
from lmdkit.fileio.weights import read_state_dict
from lmdkit.models import MaskedDiffusion
from lmdkit.models.projectors import AutoencoderKLProjector, VQGANProjector

from ..conftest import require

KL_SHAPE = dict(ch=32, ch_mult=(1, 2, 2), num_res_blocks=2, resolution=32)


def diffusers_vae(seed=0):
    diffusers = require('diffusers')
    torch.manual_seed(seed)
    return diffusers.AutoencoderKL(
        in_channels=3, out_channels=3, down_block_types=('DownEncoderBlock2D',) * 3,
        up_block_types=('UpDecoderBlock2D',) * 3, block_out_channels=(32, 64, 64), layers_per_block=2,
        latent_channels=4, norm_num_groups=32, sample_size=32,
    ).eval()  # fmt: skip


def assert_same_vae(ours, ref, x):
    with torch.no_grad():
        dist = ref.encode(x).latent_dist
        mean, logvar = ours.posterior(x)
        torch.testing.assert_close(mean, dist.mean, atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(logvar, dist.logvar, atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(ours.decode(mean), ref.decode(dist.mean).sample, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize('safe_serialization', [True, False])
def test_sd_vae_diffusers_folder_matches_diffusers(tmp_path, safe_serialization):
    ref = diffusers_vae()
    ref.save_pretrained(tmp_path / 'vae', safe_serialization=safe_serialization)
    ours = AutoencoderKLProjector(checkpoint=str(tmp_path / 'vae'), **KL_SHAPE).eval()
    assert ours.load_report['missing'] == [] and ours.load_report['unexpected'] == []
    assert_same_vae(ours, ref, torch.randn(2, 3, 32, 32))


def test_sd_vae_ldm_checkpoint_matches_diffusers_single_file_converter(tmp_path):
    from diffusers.loaders.single_file_utils import convert_ldm_vae_checkpoint

    torch.manual_seed(1)
    source = AutoencoderKLProjector(**KL_SHAPE).eval()
    ldm = {f'first_stage_model.{k}': v for k, v in source.state_dict().items()}
    ldm['model.diffusion_model.x.weight'] = torch.zeros(1)  # other parts of a full LDM checkpoint
    path = str(tmp_path / 'sd.ckpt')
    # a Lightning-style file: pickled objects beside the weights must be skipped, never executed
    torch.save(dict(state_dict=ldm, global_step=7, hyper_parameters=argparse.Namespace(lr=1)), path)
    ours = AutoencoderKLProjector(checkpoint=path, **KL_SHAPE).eval()
    assert 'argparse.Namespace' in ours.load_report['skipped_pickled_objects']
    ref = diffusers_vae()
    ref.load_state_dict(convert_ldm_vae_checkpoint(ldm, dict(ref.config)), strict=True)
    assert_same_vae(ours, ref, torch.randn(2, 3, 32, 32))
    assert_same_vae(source, ref, torch.randn(2, 3, 32, 32))


def test_sd_vae_bare_safetensors_and_mismatch_errors(tmp_path):
    from safetensors.torch import save_file

    ref = diffusers_vae()
    save_file(ref.state_dict(), str(tmp_path / 'vae.safetensors'))
    ours = AutoencoderKLProjector(checkpoint=str(tmp_path / 'vae.safetensors'), **KL_SHAPE).eval()
    assert_same_vae(ours, ref, torch.randn(1, 3, 32, 32))
    with pytest.raises(ValueError, match='missing keys'):
        AutoencoderKLProjector(checkpoint=str(tmp_path / 'vae.safetensors'), ch=32, ch_mult=(1, 2, 2, 2))
    with pytest.raises(FileNotFoundError, match='nope'):
        AutoencoderKLProjector(checkpoint=str(tmp_path / 'nope.safetensors'), **KL_SHAPE)
    ref.save_config(tmp_path / 'cfgdir')
    save_file(ref.state_dict(), str(tmp_path / 'cfgdir' / 'diffusion_pytorch_model.safetensors'))
    with pytest.raises(ValueError, match='layers_per_block'):
        AutoencoderKLProjector(checkpoint=str(tmp_path / 'cfgdir'), ch=32, ch_mult=(1, 2, 2), num_res_blocks=1)


def test_sd_vae_encode_switches():
    torch.manual_seed(0)
    vae = AutoencoderKLProjector(**KL_SHAPE).eval()
    x = torch.randn(2, 3, 32, 32)
    mean, _ = vae.posterior(x)
    torch.testing.assert_close(vae.encode(x), mean)
    vae.scaling_factor = 0.18215
    torch.testing.assert_close(vae.encode(x), mean * 0.18215)
    torch.testing.assert_close(vae.decode(vae.encode(x)), vae.decoder(vae.post_quant_conv(mean)), atol=1e-5, rtol=1e-4)
    vae.sample_posterior = True
    assert not torch.allclose(vae.encode(x), vae.encode(x))
    assert vae.latent_channels == 4 and vae.downsample_factor == 4 and vae.encode(x).shape == (2, 4, 8, 8)
    torch.testing.assert_close(vae.encode(x, sample=False), mean * 0.18215)  # validation's deterministic latent


def test_a_sampling_projector_samples_in_training_only():
    """DiT/MDT configs sample the SD-VAE posterior; the algorithm's validation still sees the mode, from images and
    from cache records alike."""
    torch.manual_seed(0)
    vae_cfg = dict(type='AutoencoderKLProjector', sample_posterior=True, scaling_factor=0.5, **KL_SHAPE)
    model = MaskedDiffusion(projector=vae_cfg, latent_scale=2.0,
                             denoiser=dict(type='DiT', arch='p', input_size=8, patch_size=2, in_channels=4,
                                           num_classes=0))  # fmt: skip
    x = torch.randn(2, 3, 32, 32)
    mean, logvar = model.projector.posterior(x)
    record = dict(mean=mean, logvar=logvar, eps=torch.randn_like(mean))
    model.eval()
    torch.testing.assert_close(model.encode_latents(x), mean)  # 0.5 x 2.0: the mode itself
    torch.testing.assert_close(model.encode_latents(record), mean)
    model.train()
    sampled = model.encode_latents(x)
    assert not torch.allclose(sampled, mean) and not torch.allclose(sampled, model.encode_latents(x))
    torch.testing.assert_close(model.encode_latents(record), mean + torch.exp(0.5 * logvar) * record['eps'])


VQ_SHAPE = dict(in_channels=3, z_channels=32, embed_dim=8, num_codes=64, ch=32, ch_mult=(1, 2), num_res_blocks=1,
                attn_resolutions=(16,), resolution=32)  # fmt: skip


def taming_reference():
    model_mod = require('taming.modules.diffusionmodules.model')
    quant_mod = require('taming.modules.vqvae.quantize')
    dd = dict(double_z=False, z_channels=32, resolution=32, in_channels=3, out_ch=3, ch=32, ch_mult=[1, 2],
              num_res_blocks=1, attn_resolutions=[16], dropout=0.0)  # fmt: skip
    torch.manual_seed(0)
    ref = torch.nn.Module()
    ref.encoder, ref.decoder = model_mod.Encoder(**dd), model_mod.Decoder(**dd)
    ref.quantize = quant_mod.VectorQuantizer2(64, 8, beta=0.25)
    ref.quant_conv, ref.post_quant_conv = torch.nn.Conv2d(32, 8, 1), torch.nn.Conv2d(8, 32, 1)
    return ref.eval()


def test_vqgan_taming_checkpoint_matches_taming(tmp_path):
    ref = taming_reference()
    state = dict(ref.state_dict())
    state['loss.discriminator.main.0.weight'] = torch.zeros(2)
    state['loss.perceptual_loss.net.slice1.0.weight'] = torch.zeros(2)
    path = str(tmp_path / 'last.ckpt')
    torch.save(dict(state_dict=state, global_step=1, epoch=0), path)
    ours = VQGANProjector(checkpoint=path, legacy=True, **VQ_SHAPE).eval()
    report = ours.load_report
    assert report['ignored'] == 2 and report['missing'] == [] and report['unexpected'] == []
    assert set(ref.state_dict()) == set(ours.state_dict())
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        h_ref = ref.quant_conv(ref.encoder(x))
        zq_ref, loss_ref, (_, _, idx_ref) = ref.quantize(h_ref)
        zq, loss, info = ours.quantize_images(x)
        torch.testing.assert_close(zq, zq_ref, atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(loss, loss_ref, atol=1e-6, rtol=1e-4)
        assert torch.equal(info['indices'].flatten(), idx_ref.flatten())
        torch.testing.assert_close(ours.decode(zq), ref.decoder(ref.post_quant_conv(zq_ref)), atol=1e-4, rtol=1e-4)
        torch.testing.assert_close(ours.decode_indices(info['indices']), ours.decode(zq), atol=1e-5, rtol=1e-5)


def test_vqgan_strict_load_names_the_problem(tmp_path):
    ref = taming_reference()
    path = str(tmp_path / 'bad.ckpt')
    torch.save(dict(state_dict=dict(ref.state_dict())), path)
    with pytest.raises(ValueError, match='quantize.embedding.weight'):
        VQGANProjector(checkpoint=path, **dict(VQ_SHAPE, num_codes=32))


def test_read_state_dict_refuses_nothing_but_runs_nothing(tmp_path):
    marker = tmp_path / 'ran'

    class Payload:
        def __reduce__(self):
            return (os.system, (f'touch {marker}',))

    path = str(tmp_path / 'w.pt')
    torch.save(dict(state_dict=dict(w=torch.ones(1)), extra=Payload()), path)
    state, skipped = read_state_dict(path)
    assert torch.equal(state['w'], torch.ones(1)) and not marker.exists()
    assert any(name.endswith('.system') for name in skipped)


def test_diffusers_mapping_covers_old_attention_names():
    state = {'encoder.mid_block.attentions.0.query.weight': torch.ones(4, 4),
             'encoder.mid_block.attentions.0.proj_attn.bias': torch.ones(4)}  # fmt: skip
    out = diffusers_to_ldm(state, 3)
    assert out['encoder.mid.attn_1.q.weight'].shape == (4, 4, 1, 1) and 'encoder.mid.attn_1.proj_out.bias' in out


def test_frozen_projector_stays_in_eval():
    vae = AutoencoderKLProjector(**KL_SHAPE)
    vae.freeze()
    vae.train()
    assert not vae.training and not any(p.requires_grad for p in vae.parameters())


def test_an_exported_model_folder_loads_into_a_projector(tmp_path):
    """A folder written by export_pretrained (``model.safetensors`` with ``projector.*`` keys, as an Autoencoder
    run holds them) is a projector checkpoint; the latent-cache hash reads its weights file."""
    from safetensors.torch import save_file

    from lmdkit.datasets.latent_cache import file_sha256

    torch.manual_seed(0)
    trained = VQGANProjector(**dict(VQ_SHAPE, in_channels=1)).eval()
    state = {f'projector.{k}': v.clone().contiguous() for k, v in trained.state_dict().items()}
    state['discriminator.main.0.weight'] = torch.zeros(2)  # the run's discriminator: not the projector's
    os.makedirs(tmp_path / 'model')
    save_file(state, str(tmp_path / 'model' / 'model.safetensors'))
    loaded = VQGANProjector(checkpoint=str(tmp_path / 'model'), **dict(VQ_SHAPE, in_channels=1)).eval()
    assert loaded.load_report['missing'] == [] and loaded.load_report['unexpected'] == []
    x = torch.randn(2, 1, 32, 32)
    with torch.no_grad():
        assert torch.equal(loaded.decode(loaded.encode(x)), trained.decode(trained.encode(x)))
    assert file_sha256(str(tmp_path / 'model')) == file_sha256(str(tmp_path / 'model' / 'model.safetensors'))


def test_a_sharded_weights_folder_is_hashed_whole(tmp_path):
    """A Hugging Face folder saved in shards (large T5/CLIP): its digest covers the index and every shard it
    names, in order, so a changed shard changes it (caches of its outputs are refused then)."""
    import hashlib
    import json

    from lmdkit.datasets.latent_cache import file_sha256

    (tmp_path / 'a.safetensors').write_bytes(b'first shard')
    (tmp_path / 'b.safetensors').write_bytes(b'second shard')
    index = json.dumps({'weight_map': {'x': 'b.safetensors', 'y': 'a.safetensors', 'z': 'b.safetensors'}})
    (tmp_path / 'model.safetensors.index.json').write_text(index)
    want = hashlib.sha256(index.encode() + b'first shard' + b'second shard').hexdigest()
    assert file_sha256(str(tmp_path)) == want
    (tmp_path / 'b.safetensors').write_bytes(b'second shard, changed')
    assert file_sha256(str(tmp_path)) != want
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='without .*model.safetensors.index.json'):
        file_sha256(str(tmp_path / 'empty'))


def test_the_shipped_fmnist_vqgan_is_the_one_its_card_describes_and_reconstructs_the_test_images():
    """lmdkit://pretrained/vqgan_f4_fmnist, which every Fashion-MNIST latent-space config uses: the file's sha256
    is the one in its model card, and it reconstructs the embedded test images (500, never trained on) at the
    card's quality (PSNR computed here from uint8 images, independently of lmdkit's metric)."""
    import hashlib
    import os.path as osp
    import re

    import numpy as np
    from mmengine.config import Config

    from lmdkit.fileio import resolve_path
    from lmdkit.registry import DATASETS, MODELS

    from ..conftest import ROOT

    cfg = Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'models', 'projectors', 'vqgan_f4_32px.py'))
    folder = resolve_path(cfg.vqgan_f4_32px.checkpoint)
    with open(osp.join(folder, 'model.safetensors'), 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    card = open(osp.join(folder, 'README.md')).read()
    assert f'sha256 `{digest}`' in card
    card_psnr = float(re.search(r'\| test PSNR \(embedded 500\) \| ([\d.]+) dB', card).group(1))
    projector = MODELS.build(cfg.vqgan_f4_32px).eval()
    data = Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'datasets', 'fmnist_mini.py'))
    dataset = DATASETS.build(data.test_dataloader.dataset)
    images = torch.stack([dataset[i]['inputs'] for i in range(len(dataset))])  # (500, 1, 32, 32) uint8
    with torch.no_grad():
        out = projector.decode(projector.encode(images.float() / 127.5 - 1))
    recon = ((out.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    mse = ((recon.double() - images.double()) ** 2).flatten(1).mean(1)
    psnr = float(np.mean(10 * np.log10(255.0**2 / mse.clamp_min(1e-10).numpy())))
    assert len(dataset) == 500 and abs(psnr - card_psnr) < 0.05  # the card's number is this computation's
    assert psnr > 25
