"""LMD (Latent Masking Diffusion, arXiv 2312.07971): MAE on the latents of a frozen projector, with a mask ratio
that a scheduler grows during training. MAE itself is this class with an ``IdentityProjector`` and a fixed ratio;
SimMIM is it with a SimMIM encoder (``SimMIMViT``/``SimMIMSwin``), ``SimMIMLinearDecoder`` and ``MaskedL1Loss``.
With a text encoder the decoder attends to a caption, so iterative unmasking generates from one.
"""

from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F

from lmdkit.registry import MASK_SCHEDULERS, MODELS, TEXT_ENCODERS
from lmdkit.utils.options import merge_options

from ..contracts import PatchReconstructionLoss
from ..example import ComponentExample, example_images, loss_terms
from ..layers import TextEmbedding, cat_text, patch_mask_to_image, patchify, text_context, unpatchify
from ..necks import MAEPretrainDecoder
from ..projectors import build_frozen_projector, check_latent_channels
from .base import BaseAlgorithm
from .latent_input import LatentInput
from .lmd_sampler import iterative_unmask, unmasking_schedule
from .mask_scheduled import MaskScheduledMixin


@MODELS.register_module()
class LMD(LatentInput, MaskScheduledMixin, BaseAlgorithm):
    """Masked latent modelling: projector.encode → MAEViT(visible tokens) → decoder → loss on masked patches.

    Args:
        backbone: encoder config (``MAEViT``); its ``in_channels`` must equal the projector's latent channels.
        neck: decoder config (``MAEPretrainDecoder``); None for backbones that predict patches themselves
            (``MaskedUNet``, the "w/o MAE" ablation).
        projector: frozen image → latent map (``IdentityProjector`` for pixel-space MAE).
        mask_scheduler: ``MASK_SCHEDULERS`` config; a hook sets the training progress every iteration.
        loss: reconstruction loss on patches (``MaskedMSELoss``).
        pixel_loss_weight: weight of an extra MSE between the input image and the projector's decoding of the
            reconstructed latents (0 = off); needs a target without ``norm_pix``.
        val_mask_ratio: the fixed ratio used by ``predict`` (validation) and by default in ``reconstruct``.
        val_seed: seed of the per-sample validation masks (same masks for every checkpoint).
        sampling: defaults of ``sample``/``complete`` (``steps`` K of iterative unmasking, ``start_visible`` share,
            ``cfg_scale`` w: a text-conditioned model's predictions are uncond + w·(cond − uncond), uncond the
            empty caption's); generating also needs the latent prior (``LatentPriorHook`` fits it before training).
        text_encoder: ``TEXT_ENCODERS`` config: captions (``data_samples['caption']``) condition the decoder
            (``MAEPretrainDecoder(text_dim=...)``: cross-attention after each block).
        caption_dropout: share of training captions replaced by the empty one (the unconditional branch).
        data_preprocessor: MMEngine data preprocessor config (normalisation to [-1, 1]).
    """

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny LMD and its objective (``lmdkit.models.example``; the registry-wide test)."""

        def objective(m: 'LMD') -> torch.Tensor:
            m.set_progress(0.5, 10)
            return loss_terms(m(m.data_preprocessor(dict(inputs=example_images(4, 1, 16, 16)), True)['inputs'],
                                mode='loss'))  # fmt: skip

        backbone = dict(MODELS.get('MAEViT').example().cfg, in_channels=1)  # 16 px, patch 4: 16 tokens of width 32
        neck = dict(MODELS.get('MAEPretrainDecoder').example().cfg, out_channels=1)
        return ComponentExample(
            cfg=dict(
                type='LMD',
                data_preprocessor=dict(type='ImgDataPreprocessor', mean=[127.5], std=[127.5]),
                projector=dict(type='IdentityProjector', in_channels=1),
                backbone=backbone,
                neck=neck,
                mask_scheduler=dict(type='CosineMaskScheduler'),
            ),  # fmt: skip
            objective=objective,
        )

    def __init__(
        self,
        backbone: dict,
        neck: Optional[dict],
        projector: Optional[dict] = None,
        mask_scheduler: Optional[dict] = None,
        loss: Optional[dict] = None,
        pixel_loss_weight: float = 0.0,
        val_mask_ratio: float = 0.75,
        val_seed: int = 0,
        sampling: Optional[dict] = None,
        text_encoder: Optional[dict] = None,
        caption_dropout: float = 0.1,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not 0.0 < val_mask_ratio < 1.0:  # checked here, not at the first validation after a whole run
            raise ValueError(f'model.val_mask_ratio must be in (0, 1) (a share of patches masked at validation), '
                             f'got {val_mask_ratio}')  # fmt: skip
        self.projector = build_frozen_projector(projector)
        self.backbone = MODELS.build(backbone)
        check_latent_channels(self.projector, self.backbone.in_channels, 'backbone')
        self.neck = MODELS.build(neck) if neck is not None else None
        self.text_encoder = TEXT_ENCODERS.build(text_encoder) if text_encoder is not None else None
        text_dim = self.neck.text_dim if isinstance(self.neck, MAEPretrainDecoder) else 0
        if (self.text_encoder is not None) != bool(text_dim) or (text_dim and text_dim != self.text_encoder.dim):
            raise ValueError(f'a text-conditioned LMD needs both model.text_encoder and an MAEPretrainDecoder with '
                             f'text_dim equal to its dim (got text_encoder '
                             f'{None if self.text_encoder is None else self.text_encoder.dim}, decoder text_dim '
                             f'{text_dim})')  # fmt: skip
        if not 0.0 <= caption_dropout < 1.0:
            raise ValueError(f'caption_dropout must be in [0, 1), got {caption_dropout}')
        self.caption_dropout = caption_dropout
        self.loss_module = MODELS.build(loss or dict(type='MaskedMSELoss'))
        if not isinstance(self.loss_module, PatchReconstructionLoss):
            raise TypeError(f'LMD needs a PatchReconstructionLoss (lmdkit.models.contracts: construct_target, restore,'
                            f' patch_errors; e.g. MaskedMSELoss), got {type(self.loss_module).__name__}')  # fmt: skip
        self.mask_scheduler = MASK_SCHEDULERS.build(mask_scheduler or dict(type='FixedMaskScheduler'))
        self.mask_ratio = self.mask_scheduler(0.0, 0)
        self.pixel_loss_weight, self.val_mask_ratio, self.val_seed = pixel_loss_weight, val_mask_ratio, val_seed
        if pixel_loss_weight > 0 and not self.loss_module.target_is_raw:
            raise ValueError('pixel_loss_weight > 0 needs un-normalised targets: set loss.norm_pix=False')
        self.sampling = merge_options(dict(steps=10, start_visible=0.15, cfg_scale=1.0), sampling, 'sampling options')
        # per-position Gaussian of training latent patches (L, P), the start of unconditional sampling; saved with
        # every checkpoint. prior_count = number of patches averaged (0: not fitted yet)
        num_tokens = self.backbone.grid_size[0] * self.backbone.grid_size[1]
        patch_dim = self.patch_size**2 * self.backbone.in_channels
        self.register_buffer('prior_mean', torch.zeros(num_tokens, patch_dim))
        self.register_buffer('prior_std', torch.ones(num_tokens, patch_dim))
        self.register_buffer('prior_count', torch.zeros((), dtype=torch.long))
        self.register_load_state_dict_pre_hook(self._prior_defaults)

    PRIOR_KEYS = ('prior_mean', 'prior_std', 'prior_count')

    @staticmethod
    def _prior_defaults(module, state_dict, prefix, *args) -> None:
        """Load-state-dict pre-hook: checkpoints from before the latent prior existed load as "not fitted"."""
        for name in LMD.PRIOR_KEYS:
            state_dict.setdefault(prefix + name, getattr(module, name).clone())

    def state_filled_on_load(self) -> Tuple[str, ...]:
        return self.PRIOR_KEYS

    # ------------------------------------------------------------------ helpers
    @property
    def patch_size(self) -> int:
        return self.backbone.patch_size

    def fixed_noise(self, batch: int, seed: int, device: torch.device) -> torch.Tensor:
        """(B, L) masking noise from a seeded generator: the same masks for every call (pictures, tools)."""
        generator = torch.Generator().manual_seed(seed)
        return torch.rand(batch, self.backbone.num_patches, generator=generator).to(device)

    def _val_noise(self, data_samples: Optional[dict], batch: int, device: torch.device) -> Optional[torch.Tensor]:
        """Per-sample masking noise seeded by (val_seed, sample index), so validation masks never change."""
        if not isinstance(data_samples, dict) or 'sample_idx' not in data_samples:
            return None
        rows = [
            torch.rand(
                self.backbone.num_patches, generator=torch.Generator().manual_seed(self.val_seed * 1_000_003 + int(i))
            )
            for i in data_samples['sample_idx']
        ]
        return torch.stack(rows).to(device)  # (B, L)

    # ------------------------------------------------------------------ modes
    def forward_tensor(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.extract_feat(inputs)

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Encoder tokens of the unmasked input: (B, 1 + L, D), class token first, from a ViT; (B, L, D) of the last
        stage from a Swin (SimMIM, GreenMIM). A backbone that predicts patches itself (``neck=None``: ``MaskedUNet``)
        has no encoder tokens and is refused."""
        if self.neck is None:
            raise TypeError(f'LMD.extract_feat returns encoder tokens; {type(self.backbone).__name__} (neck=None) '
                            'predicts patches itself and has none: use predict_patches or reconstruct')  # fmt: skip
        tokens, _, _ = self.backbone(self.encode_latents(inputs), 0.0)
        return tokens

    def _text(self, data_samples: Optional[dict], training: bool) -> Optional[TextEmbedding]:
        """The batch's caption embedding (a ``caption_dropout`` share emptied in training); None without text."""
        if self.text_encoder is None:
            return None
        return self.text_encoder.embed_batch(data_samples, self.caption_dropout if training else 0.0)

    def loss(self, inputs: torch.Tensor, data_samples: Optional[dict] = None) -> Dict[str, torch.Tensor]:
        z = self.encode_latents(inputs)  # (B, C, h, w)
        text = self._text(data_samples, training=True)
        pred, mask = self.predict_patches(z, self.mask_ratio, text=text)  # (B, L, p·p·C), (B, L)
        losses = dict(loss=self.loss_module(pred, patchify(z, self.patch_size), mask))
        if self.pixel_loss_weight > 0:
            if isinstance(inputs, dict):
                raise ValueError('pixel_loss_weight > 0 needs images, but the batch holds cached latents')
            recon = self._paste(z, pred, mask)  # (B, C, h, w)
            losses['loss_pixel'] = self.pixel_loss_weight * F.mse_loss(self.projector.decode(recon), inputs)
        return losses

    def predict_patches(
        self,
        z: torch.Tensor,
        mask_ratio: float,
        noise: Optional[torch.Tensor] = None,
        text: Optional[TextEmbedding] = None,
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Mask latents (B, C, h, w) at ``mask_ratio`` (``noise`` (B, L) fixes which patches, MAE-style) and predict
        every patch: (B, L, p·p·C) predictions and the (B, L) mask, 1 = masked. A text-conditioned model needs the
        captions' ``text`` embedding."""
        if (text is None) != (self.text_encoder is None):
            raise ValueError('a text-conditioned LMD predicts from captions (and only it): pass text=' +
                             ('the captions\' embedding' if text is None else 'None'))  # fmt: skip
        out, mask, ids_restore = self.backbone(z, mask_ratio, noise)
        if self.neck is None:
            return out, mask
        if text is None:  # every neck takes (tokens, ids_restore); only a text-conditioned decoder a context
            return self.neck(out, ids_restore), mask
        return self.neck(out, ids_restore, text_context(text.tokens, text.mask)), mask

    def _paste(self, z: torch.Tensor, pred: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Latents with masked patches taken from ``pred`` and visible ones from ``z``."""
        target = patchify(z, self.patch_size)  # (B, L, P)
        mixed = pred * mask[..., None] + target * (1 - mask[..., None])
        return unpatchify(mixed, self.patch_size, self.backbone.grid_size, z.shape[1])

    @torch.no_grad()
    def predict(self, inputs: torch.Tensor, data_samples: Optional[dict] = None) -> List[dict]:
        """Validation at the fixed ``val_mask_ratio``: per-sample masked-patch MSE and the target's variance."""
        z = self.encode_latents(inputs)
        noise = self._val_noise(data_samples, z.shape[0], z.device)
        pred, mask = self.predict_patches(z, self.val_mask_ratio, noise, self._text(data_samples, training=False))
        patches = patchify(z, self.patch_size)  # (B, L, P)
        per_patch = self.loss_module.patch_errors(pred, patches)  # (B, L)
        mse = (per_patch * mask).sum(1) / mask.sum(1)
        var = self.loss_module.construct_target(patches).flatten(1).var(1)
        return [dict(mse=float(m), target_var=float(v), mask_ratio=self.val_mask_ratio) for m, v in zip(mse, var)]

    @torch.no_grad()
    def reconstruct(
        self,
        inputs: torch.Tensor,
        mask_ratio: Optional[float] = None,
        noise: Optional[torch.Tensor] = None,
        captions: Optional[Sequence[str]] = None,
    ) -> Dict[str, torch.Tensor]:
        """Mask, reconstruct and decode preprocessed images (a text-conditioned model: given ``captions``, default
        the empty caption, i.e. its unconditional prediction).

        Returns a dict of (B, C_img, H, W) tensors in the preprocessed range: ``input``, ``masked`` (masked
        regions set to 0, i.e. mid-grey), ``reconstruction`` (visible patches kept, masked ones predicted) and
        ``prediction`` (every patch predicted); plus ``mask`` (B, 1, H, W), 1 = masked.
        """
        ratio = self.val_mask_ratio if mask_ratio is None else mask_ratio
        z = self.encode_latents(inputs)
        if isinstance(inputs, dict):  # cached latents, no images: show what the projector decodes from them
            inputs = self.projector.decode(z)
        text = None
        if self.text_encoder is not None:
            text = self.text_encoder(list(captions) if captions is not None else [''] * z.shape[0])
        pred, mask = self.predict_patches(z, ratio, noise, text)
        if mask is None:
            mask = pred.new_zeros(pred.shape[:2])
        pred = self.loss_module.restore(pred, patchify(z, self.patch_size))  # in latent units (norm_pix undone)
        grid, c = self.backbone.grid_size, z.shape[1]
        scale = self.patch_size * self.projector.downsample_factor
        pixel_mask = patch_mask_to_image(mask, grid, scale).to(inputs.dtype)  # (B, 1, H, W)
        return dict(
            input=inputs,
            masked=inputs * (1 - pixel_mask),
            reconstruction=self.projector.decode(self._paste(z, pred, mask)),
            prediction=self.projector.decode(unpatchify(pred, self.patch_size, grid, c)),
            mask=pixel_mask,
        )

    # ------------------------------------------------------------------ generation
    @property
    def num_classes(self) -> int:
        """LMD is unconditional (``tools/sample.py`` reads this)."""
        return 0

    @torch.no_grad()
    def fit_latent_prior(self, batches, max_batches: Optional[int] = None) -> int:
        """Fit the per-position Gaussian of latent patches on preprocessed images or latent-cache records.

        ``batches`` yields model inputs (what the data preprocessor returns as ``inputs``). Returns the number of
        samples used; the fit lives in the ``prior_*`` buffers and so in every later checkpoint.
        """
        total, sq, n = 0.0, 0.0, 0
        for i, inputs in enumerate(batches):
            if max_batches is not None and i >= max_batches:
                break
            tokens = patchify(self.encode_latents(inputs), self.patch_size).double()  # (B, L, P)
            total, sq, n = total + tokens.sum(0), sq + tokens.pow(2).sum(0), n + tokens.shape[0]
        if n < 2:
            raise ValueError('fit_latent_prior needs at least 2 samples')
        mean = total / n
        var = (sq / n - mean.pow(2)).clamp_min(0) * n / (n - 1)
        self.prior_mean.copy_(mean.float())
        self.prior_std.copy_(var.sqrt().float())
        self.prior_count.fill_(n)
        return n

    def _sampling_opts(self, overrides: dict) -> dict:
        return merge_options(self.sampling, overrides, 'sampling options')

    def _predictor(self, captions: Optional[Sequence[str]], num: int, scale: float):
        """``predict(z, ratio, noise)`` for iterative unmasking: unconditional, or from ``captions`` (guided against
        the empty caption when ``scale`` != 1)."""
        if (captions is None) != (self.text_encoder is None):
            raise ValueError('a text-conditioned LMD generates from captions (captions=[...] with one per sample; '
                             'tools/sample.py --prompts FILE) and an unconditional one from none')  # fmt: skip
        if captions is None:
            return self.predict_patches
        if isinstance(captions, str) or len(captions) != num:
            raise ValueError(f'captions: one str per sample ({num}), got {captions!r:.80}')
        text = self.text_encoder(list(captions))
        if scale == 1.0:
            return lambda z, ratio, noise: self.predict_patches(z, ratio, noise, text)
        both = cat_text(text, self.text_encoder([''] * num))

        def guided(z: torch.Tensor, ratio: float, noise: torch.Tensor):
            pred, mask = self.predict_patches(torch.cat([z, z]), ratio, torch.cat([noise, noise]), both)
            cond, uncond = pred.chunk(2)
            return uncond + scale * (cond - uncond), mask[:num]

        return guided

    def _generate(self, tokens, visible, opts, generator, decode, captions=None) -> Dict[str, torch.Tensor]:
        if not self.loss_module.target_is_raw:
            raise ValueError('generation needs a model trained without norm_pix (its predictions lack the scale)')
        shares = unmasking_schedule(self.mask_scheduler, int(opts['steps']), float(opts['start_visible']))
        was_training = self.training
        self.eval()
        try:
            predict = self._predictor(captions, tokens.shape[0], float(opts['cfg_scale']))
            tokens = iterative_unmask(self, tokens, visible, shares, generator, predict)
        finally:
            self.train(was_training)
        z = unpatchify(tokens, self.patch_size, self.backbone.grid_size, self.backbone.in_channels)
        out = dict(latents=z, labels=None)
        if captions is not None:
            out['captions'] = list(captions)
        if decode:
            out['images'] = self.projector.decode(z)
        return out

    def _random_visible(self, b: int, share: float, generator, device) -> torch.Tensor:
        length = self.prior_mean.shape[0]
        n = max(1, int(round(share * length)))
        order = torch.rand(b, length, generator=generator).argsort(dim=1)[:, :n]
        return torch.zeros(b, length, dtype=torch.bool).scatter_(1, order, True).to(device)

    @torch.no_grad()
    def sample(
        self,
        num: int,
        labels: Optional[torch.Tensor] = None,
        generator: Optional[torch.Generator] = None,
        progress: bool = False,
        decode: bool = True,
        captions: Optional[Sequence[str]] = None,
        **overrides,
    ) -> Dict[str, torch.Tensor]:
        """Samples: ``start_visible`` of the tokens drawn from the fitted prior, then ``steps`` of iterative
        unmasking (a text-conditioned model: from ``captions``, one per sample). Returns ``latents``, ``images``
        (preprocessed range), ``labels`` (None) and, with text, ``captions``."""
        if labels is not None:
            raise ValueError('LMD is unconditional or text-conditioned: sample() takes no labels')
        if int(self.prior_count) == 0:
            raise RuntimeError('the latent prior is not fitted: train with LatentPriorHook in custom_hooks, or call '
                               'model.fit_latent_prior(batches) before sampling')  # fmt: skip
        opts = self._sampling_opts(overrides)
        device = self.prior_mean.device
        eps = torch.randn(num, *self.prior_mean.shape, generator=generator).to(device)
        tokens = self.prior_mean + self.prior_std * eps  # (num, L, P); only the visible ones are used
        visible = self._random_visible(num, float(opts['start_visible']), generator, device)
        return self._generate(tokens, visible, opts, generator, decode, captions)

    @torch.no_grad()
    def complete(
        self,
        inputs: Union[torch.Tensor, Dict[str, torch.Tensor]],
        visible: Optional[torch.Tensor] = None,
        generator: Optional[torch.Generator] = None,
        decode: bool = True,
        captions: Optional[Sequence[str]] = None,
        **overrides,
    ) -> Dict[str, torch.Tensor]:
        """Conditional completion: keep a real image's visible tokens (``visible`` (B, L) bool, default a random
        ``start_visible`` share) and generate the rest by iterative unmasking (text-conditioned: from
        ``captions``)."""
        opts = self._sampling_opts(overrides)
        tokens = patchify(self.encode_latents(inputs), self.patch_size)
        if visible is None:
            visible = self._random_visible(tokens.shape[0], float(opts['start_visible']), generator, tokens.device)
        out = self._generate(tokens, visible.to(tokens.device).bool(), opts, generator, decode, captions)
        out['visible'] = visible
        return out
