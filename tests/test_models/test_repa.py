"""REPA: the denoiser's tokens after block ``depth`` (on every token plan), the loss against hand computation, the
teachers (an lmdkit MAE run, a timm ViT, DINOv2 in the Hugging Face format) against their models run by hand, and
an aligned training step that learns."""

import pytest
import torch
import torch.nn.functional as F

from lmdkit.models.token_plans import TokenRoute
from lmdkit.registry import MODELS, TEACHERS

from ..conftest import tiny_diffusion_model

IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
TEACHER_CFG = """model = dict(
    type='LMD', data_preprocessor=dict(type='ImgDataPreprocessor', mean=[100.0], std=[50.0]),
    projector=dict(type='IdentityProjector', in_channels=1),
    backbone=dict(type='MAEViT', img_size=8, patch_size=2, in_channels=1, embed_dim=16, depth=1, num_heads=2),
    neck=dict(type='MAEPretrainDecoder', grid_size=4, patch_size=2, out_channels=1, in_dim=16, embed_dim=16,
              depth=1, num_heads=2),
    mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.75))
"""


@pytest.fixture
def mae_teacher(tmp_path):
    """An MAE run's config and checkpoint (random weights): (teacher config, the LMD model itself)."""
    config = tmp_path / 'mae_tiny.py'
    config.write_text(TEACHER_CFG)
    torch.manual_seed(3)
    from mmengine.config import Config

    model = MODELS.build(Config.fromfile(str(config)).model).eval()
    torch.save({'state_dict': model.state_dict()}, tmp_path / 'mae.pth')
    return dict(type='LmdkitEncoderTeacher', config=str(config), checkpoint=str(tmp_path / 'mae.pth')), model


def repa_model(teacher: dict, depth: int = 2, **overrides):
    overrides.setdefault('denoiser', dict(MODELS.get('DiT').example().cfg, depth=4))
    cfg = tiny_diffusion_model(
                               alignment=dict(type='REPALoss', teacher=teacher, depth=depth, projector_dim=8),
                               **overrides)  # fmt: skip
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()  # what the runner does: the teacher reads its checkpoint
    for p in model.denoiser.parameters():
        p.data.normal_(0, 0.1)
    return model


def block_outputs(model, *args, **kwargs):
    """Each block's output, by forward hooks."""
    outs = []
    hooks = [b.register_forward_hook(lambda m, a, out: outs.append(out)) for b in model.blocks]
    result = model(*args, **kwargs)
    for h in hooks:
        h.remove()
    return result, outs


def test_tokens_after_depth_blocks_are_the_blocks_output_on_every_route():
    torch.manual_seed(0)
    dit = MODELS.build(dict(MODELS.get('DiT').example().cfg, depth=4)).eval()
    x, t, y = torch.randn(2, 1, 8, 8), torch.tensor([3, 50]), torch.tensor([1, 2])
    keep = torch.stack([torch.randperm(16)[:6] for _ in range(2)])
    for route in (None, TokenRoute(keep, 1, 3), TokenRoute(keep, 0)):
        for depth in (1, 2, 4):
            out, tokens = dit.forward_with_tokens(x, t, y, route, depth)
            expected_out, outs = block_outputs(dit, x, t, y, route=route)
            torch.testing.assert_close(out, expected_out)
            torch.testing.assert_close(tokens, outs[depth - 1])
            seen = route is not None and route.covers(depth - 1)
            assert tokens.shape == (2, 6 if seen else 16, 32)
    with pytest.raises(ValueError, match='blocks 1..4'):
        dit.forward_with_tokens(x, t, y, None, 5)


def test_repa_loss_is_the_weighted_mean_negative_cosine_of_the_projected_tokens(mae_teacher):
    loss_fn = MODELS.build(dict(type='REPALoss', teacher=mae_teacher[0], hidden_size=32, depth=2, projector_dim=8,
                                loss_weight=0.5))  # fmt: skip
    loss_fn.init_weights()
    assert [m.out_features for m in loss_fn.projector if isinstance(m, torch.nn.Linear)] == [8, 8, 16]
    tokens, targets = torch.randn(3, 5, 32), torch.randn(3, 5, 16)
    h = loss_fn.projector(tokens)
    cos = torch.stack([torch.stack([F.cosine_similarity(h[b, k], targets[b, k], dim=0) for k in range(5)])
                       for b in range(3)])  # fmt: skip
    torch.testing.assert_close(loss_fn(tokens, targets), -0.5 * cos.mean())


def test_the_lmdkit_teacher_sees_the_images_in_its_own_normalisation(mae_teacher):
    teacher = TEACHERS.build(mae_teacher[0])
    teacher.init_weights()
    images = torch.randn(2, 1, 8, 8)  # normalised by the student's preprocessor: mean 127.5, std 127.5
    feats = teacher(images, torch.tensor([127.5]), torch.tensor([127.5]), (4, 4))
    expected = mae_teacher[1].extract_feat((images * 127.5 + 127.5 - 100.0) / 50.0)
    torch.testing.assert_close(feats.patches, expected[:, 1:])
    torch.testing.assert_close(feats.cls, expected[:, 0])  # the MAE encoder's class token (REG's)
    coarse = teacher(images, torch.tensor([127.5]), torch.tensor([127.5]), (2, 2))
    assert coarse.patches.shape == (2, 4, 16)
    teacher.train()
    assert not teacher.training and not any(p.requires_grad for p in teacher.parameters())
    unread = TEACHERS.build(dict(mae_teacher[0], checkpoint='/nonexistent.pth'))  # building needs no file
    with pytest.raises(FileNotFoundError, match='pretrain it first'):
        unread.init_weights()


def test_aligned_step_adds_repa_on_the_tokens_the_block_sees(mae_teacher):
    model = repa_model(mae_teacher[0], depth=2, mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.5),
                       token_plan=dict(type='TokenRouting', start=1, stop=3))  # fmt: skip
    images, y = torch.randn(4, 1, 8, 8), torch.tensor([0, 1, 2, 3])
    captured = {}
    draw = model.token_plan.route
    model.token_plan.route = lambda *a: captured.setdefault('route', draw(*a))
    torch.manual_seed(5)
    out = model.loss(images, dict(gt_label=y))
    route = captured['route']
    assert route.covers(1)  # block 2 of 4 runs on the kept half
    torch.manual_seed(5)
    t = torch.randint(0, 100, (4,))
    torch.rand(4, 16)  # the plan's draw
    x_t = model.diffusion.q_sample(images, t, torch.randn_like(images))
    _, outs = block_outputs(model.denoiser, x_t, t, y, route=route)
    targets = mae_teacher[1].extract_feat((images * 127.5 + 127.5 - 100.0) / 50.0)[:, 1:]  # (B, N, D)
    kept_targets = torch.stack([targets[b, route.ids_keep[b]] for b in range(4)])
    torch.testing.assert_close(out['loss_repa'], model.alignment(outs[1], kept_targets))
    out['loss_repa'].backward()
    assert model.alignment.projector[0].weight.grad.abs().sum() > 0
    assert model.denoiser.blocks[1].attn.qkv.weight.grad.abs().sum() > 0
    assert model.denoiser.blocks[3].attn.qkv.weight.grad is None  # after the aligned block: no REPA gradient


def test_repa_training_pulls_the_tokens_to_the_teacher(mae_teacher):
    model = repa_model(mae_teacher[0], depth=2)
    data = model.data_preprocessor(dict(inputs=torch.randint(0, 255, (4, 1, 8, 8)).float(),
                                        data_samples=dict(gt_label=torch.tensor([0, 1, 2, 3]))), True)  # fmt: skip
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=3e-3)
    repa = []
    for _ in range(40):
        torch.manual_seed(0)
        out = model(**data, mode='loss')
        opt.zero_grad()
        (out['loss'] + out['loss_repa']).backward()
        opt.step()
        repa.append(float(out['loss_repa']))
    assert repa[-1] < repa[0] - 0.2  # −0.5·cos: from near 0 towards −0.5


def test_alignment_is_refused_where_there_are_no_tokens_to_align(mae_teacher):
    with pytest.raises(ValueError, match='MDT-style masking'):
        repa_model(mae_teacher[0], denoiser=MODELS.get('MDT').example().cfg,
                   mask_scheduler=dict(type='RandomRangeMaskScheduler'))  # fmt: skip
    with pytest.raises(ValueError, match='alignment.depth 6'):
        repa_model(mae_teacher[0], depth=6)


def test_the_timm_teacher_is_its_vit_on_resized_imagenet_normalised_pixels(tmp_path):
    import timm

    torch.manual_seed(0)
    vit = timm.create_model('vit_tiny_patch16_224', pretrained=False, num_classes=0, img_size=32, embed_dim=24,
                            depth=1, num_heads=2)  # fmt: skip
    torch.save({'model': vit.state_dict()}, tmp_path / 'vit.pth')
    teacher = TEACHERS.build(dict(type='TimmViTTeacher', model_name='vit_tiny_patch16_224',
                                  checkpoint=str(tmp_path / 'vit.pth'), img_size=32,
                                  model_kwargs=dict(embed_dim=24, depth=1, num_heads=2)))  # fmt: skip
    teacher.init_weights()
    images = torch.randn(2, 1, 8, 8)
    feats = teacher(images, torch.tensor([127.5]), torch.tensor([127.5]), (2, 2))
    x = ((images * 127.5 + 127.5) / 255.0).expand(-1, 3, -1, -1)
    x = F.interpolate(x, size=(32, 32), mode='bicubic', align_corners=False)
    x = (x - IMAGENET_MEAN) / IMAGENET_STD
    expected = vit.eval().forward_features(x)
    torch.testing.assert_close(feats.patches, expected[:, 1:])
    torch.testing.assert_close(feats.cls, expected[:, 0])  # its pooling is the class token
    assert teacher.feature_dim == 24
    with pytest.raises(TypeError, match='latent-cache records'):
        teacher(dict(latents=torch.zeros(2, 4, 2, 2)), torch.tensor([0.0]), torch.tensor([1.0]), (2, 2))


def test_the_dinov2_teacher_is_the_final_norm_patch_tokens_of_a_local_hf_folder(tmp_path):
    from transformers import Dinov2Config, Dinov2Model

    torch.manual_seed(0)
    arch = dict(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, patch_size=4, image_size=16)
    hf = Dinov2Model(Dinov2Config(**arch)).eval()
    hf.save_pretrained(tmp_path / 'dinov2')
    teacher = TEACHERS.build(dict(type='DINOv2Teacher', checkpoint=str(tmp_path / 'dinov2'), arch=arch, img_size=16))
    teacher.init_weights()
    images = torch.randn(2, 3, 16, 16)
    mean, std = torch.tensor([120.0, 110.0, 100.0]), torch.tensor([60.0, 55.0, 50.0])
    feats = teacher(images, mean, std, (4, 4))
    x = (images * std.view(1, 3, 1, 1) + mean.view(1, 3, 1, 1)) / 255.0
    x = (x - IMAGENET_MEAN) / IMAGENET_STD
    hidden = hf.encoder(hf.embeddings(x))[0]  # before the final norm
    torch.testing.assert_close(feats.patches, hf.layernorm(hidden)[:, 1:])  # REPA's x_norm_patchtokens
    torch.testing.assert_close(feats.cls, hf.layernorm(hidden)[:, 0])  # REG's x_norm_clstoken
    with pytest.raises(FileNotFoundError, match='config.json'):
        TEACHERS.build(dict(type='DINOv2Teacher', checkpoint=str(tmp_path / 'missing'), arch=arch)).init_weights()
    folder = str(tmp_path / 'dinov2')
    wrong = TEACHERS.build(dict(type='DINOv2Teacher', checkpoint=folder, arch=dict(arch, hidden_size=8)))
    with pytest.raises(ValueError, match="'hidden_size': \\(16, 8\\)"):
        wrong.init_weights()
    b = TEACHERS.build(dict(type='DINOv2Teacher', checkpoint='unused'))  # DINOv2-B, REPA's: no weights to build
    assert b.feature_dim == 768 and sum(p.numel() for p in b.parameters()) > 80e6
