"""One parametrised test over every registered backbone, neck and algorithm (timm's registry-wide test):
tiny size, forward, backward, finite values, and a gradient for every trainable parameter the mode uses.

A component without an entry in ``TINY`` fails ``test_every_component_has_a_tiny_config``, so a new component
is covered the moment it is registered. Parameters that legitimately get no gradient are declared on the class
as ``no_grad_params`` (none so far), not here.
"""

import pytest
import torch

from lmdkit.registry import MODELS

from ..conftest import tiny_classifier_model, tiny_diffusion_model, tiny_lmd_model, tiny_mdt_denoiser
from .test_autoencoder import tiny_autoencoder

COVERED_PACKAGES = (
    'lmdkit.models.backbones',
    'lmdkit.models.necks',
    'lmdkit.models.algorithms',
    'lmdkit.models.discriminators',
    'lmdkit.models.projectors',
    'lmdkit.models.heads',
)

_LMD = tiny_lmd_model()
TINY = {
    'MAEViT': dict(cfg=dict(_LMD['backbone'], in_channels=3), inputs=lambda: (torch.randn(2, 3, 16, 16), 0.5)),
    'MAEPretrainDecoder': dict(
        cfg=dict(_LMD['neck'], out_channels=3),
        inputs=lambda: (torch.randn(2, 1 + 8, 32), torch.stack([torch.randperm(16) for _ in range(2)])),
    ),
    'LMD': dict(cfg=_LMD, inputs=None),
    'ImageClassifier': dict(cfg=tiny_classifier_model(), inputs=None),
    # MDT's objective (full + masked pass), so the side-interpolator and mask token must get gradients too
    'MaskedDiffusion': dict(
        cfg=tiny_diffusion_model(denoiser=tiny_mdt_denoiser(), mask_scheduler=dict(type='RandomRangeMaskScheduler')),
        inputs=None,
    ),
    'MDT': dict(
        cfg=tiny_mdt_denoiser(),
        inputs=lambda: (torch.randn(2, 1, 8, 8), torch.tensor([3, 90]), torch.tensor([1, 10]), 0.5),
    ),
    'MaskedUNet': dict(
        cfg=dict(
            type='MaskedUNet',
            img_size=8,
            patch_size=2,
            in_channels=1,
            unet=dict(model_channels=8, channel_mult=(1, 2), num_res_blocks=1, attention_resolutions=(2,), num_heads=2),
        ),
        inputs=lambda: (torch.randn(2, 1, 8, 8), 0.5),
    ),
    'ConvNet': dict(cfg=dict(type='ConvNet', in_channels=1, widths=(4, 8)), inputs=lambda: (torch.randn(2, 1, 8, 8),)),
    'UNet': dict(
        cfg=dict(
            type='UNet',
            input_size=8,
            in_channels=1,
            model_channels=16,
            channel_mult=(1, 2),
            num_res_blocks=1,
            attention_resolutions=(2,),
            num_heads=2,
            num_classes=10,
            learn_sigma=True,
        ),  # fmt: skip
        inputs=lambda: (torch.randn(2, 1, 8, 8), torch.tensor([3, 90]), torch.tensor([1, 10])),
    ),
    'DiT': dict(
        cfg=tiny_diffusion_model()['denoiser'],
        inputs=lambda: (torch.randn(2, 1, 8, 8), torch.tensor([3, 90]), torch.tensor([1, 10])),
    ),
    'LinearClsHead': dict(
        cfg=dict(type='LinearClsHead', in_channels=8, num_classes=3, batch_norm=True),
        inputs=lambda: (torch.randn(4, 8),),
    ),
    'Autoencoder': dict(cfg=tiny_autoencoder('vq'), inputs=None),
    'PatchDiscriminator': dict(
        cfg=dict(type='PatchDiscriminator', in_channels=1, base_channels=8, n_layers=2),
        inputs=lambda: (torch.randn(2, 1, 16, 16),),
    ),
    'IdentityProjector': dict(
        cfg=dict(type='IdentityProjector', in_channels=1), inputs=lambda: (torch.randn(2, 1, 8, 8),), method='decode'
    ),
    'AutoencoderKLProjector': dict(
        cfg=tiny_autoencoder('kl')['projector'], inputs=lambda: (torch.randn(2, 1, 16, 16),), method='round_trip'
    ),
    'VQGANProjector': dict(
        cfg=tiny_autoencoder('vq')['projector'], inputs=lambda: (torch.randn(2, 1, 16, 16),), method='round_trip'
    ),
}


def registered_components():
    names = []
    for name, cls in MODELS.module_dict.items():
        if cls.__module__.startswith(COVERED_PACKAGES):
            names.append(name)
    return sorted(names)


def test_every_component_has_a_tiny_config():
    missing = sorted(set(registered_components()) - set(TINY))
    assert not missing, f'add tiny configs for {missing} to TINY'


def _loss_of(name, model):
    entry = TINY[name]
    if name == 'Autoencoder':
        images = torch.randint(0, 256, (4, 1, 16, 16), dtype=torch.uint8)
        losses = model(model.data_preprocessor(dict(inputs=images), True)['inputs'], mode='loss')
        return losses['loss'] + losses['loss_g']  # the generator loss reaches the discriminator too
    if entry.get('method') == 'round_trip':  # projectors: decode(encode(x)), plus the regulariser
        (x,) = entry['inputs']()
        if hasattr(model, 'quantize_images'):
            z_q, vq_loss, _ = model.quantize_images(x)
            return (model.decode(z_q) - x).pow(2).mean() + vq_loss
        mean, logvar = model.posterior(x)
        return (model.decode(mean) - x).pow(2).mean() + model.kl(mean, logvar).mean() * 1e-3
    if entry.get('method') == 'decode':
        return model.decode(*entry['inputs']()).pow(2).mean()
    if name == 'LMD':
        images = torch.randint(0, 256, (4, 1, 16, 16), dtype=torch.uint8)
        data = model.data_preprocessor(dict(inputs=images), True)
        model.set_progress(0.5, 10)
        losses = model(data['inputs'], mode='loss')
        return sum(v for k, v in losses.items() if 'loss' in k)
    if name == 'MaskedDiffusion':
        images = torch.randint(0, 256, (4, 1, 8, 8), dtype=torch.uint8)
        data = model.data_preprocessor(
            dict(inputs=images, data_samples=dict(gt_label=torch.tensor([0, 3, 5, 9]))), True
        )
        model.set_progress(0.5, 10)
        return sum(v for k, v in model(**data, mode='loss').items() if 'loss' in k)
    if name == 'ImageClassifier':  # mixup soft targets through the data preprocessor
        images = torch.randint(0, 256, (4, 1, 16, 16), dtype=torch.uint8)
        data = model.data_preprocessor(
            dict(inputs=images, data_samples=dict(gt_label=torch.tensor([0, 3, 5, 9]))), True
        )
        return model(**data, mode='loss')['loss']
    out = model(*entry['inputs']())
    out = out[0] if isinstance(out, tuple) else out
    if name in (
        'DiT',
        'MDT',
        'UNet',
        'MaskedUNet',
    ):  # zero-initialised outputs: a loss linear in the output still has gradients
        return (out.float() * torch.randn(out.shape, generator=torch.Generator().manual_seed(0))).mean()
    return out.float().pow(2).mean()


@pytest.mark.parametrize('name', registered_components())
def test_forward_backward_grads(name):
    torch.manual_seed(0)
    model = MODELS.build(TINY[name]['cfg'])
    model.train()
    loss = _loss_of(name, model)
    assert torch.isfinite(loss), f'{name}: non-finite loss {loss}'
    if not list(model.parameters()):  # parameter-free components (IdentityProjector): forward only
        return
    loss.backward()
    exempt = set(getattr(type(model), 'no_grad_params', ()))
    for pname, p in model.named_parameters():
        if not p.requires_grad or pname in exempt:
            continue
        assert p.grad is not None, f'{name}: parameter {pname} received no gradient'
        assert torch.isfinite(p.grad).all(), f'{name}: non-finite gradient in {pname}'
    params = list(model.parameters())
    assert not params or any(p.grad is not None and p.grad.abs().sum() > 0 for p in params)
