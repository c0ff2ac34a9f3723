"""Latent diffusion with a transformer (or U-Net) denoiser: DiT when masking is off (Peebles & Xie, 2023), MDT when
it is on (Gao et al., 2023). Conditioned on a class, on a caption (a text encoder's embedding), or on nothing.

images ─► projector.encode (frozen) ─► z·latent_scale ─► q_sample(z, t) ─► denoiser(x_t, t, y) ─► ε/v/x₀ loss
                                                       └──► denoiser(x_t, t, y, route=plan(r)) ─► + masked loss
"""

from typing import Dict, List, Optional, Sequence

import torch
from torch.profiler import record_function

from lmdkit.diffusion import GaussianDiffusion, guided_joint_model, guided_model, sample, sample_with_token
from lmdkit.diffusion.gaussian_diffusion import mean_flat
from lmdkit.registry import MASK_SCHEDULERS, MODELS, TEXT_ENCODERS, TOKEN_PLANS
from lmdkit.utils.images import to_uint8
from lmdkit.utils.options import merge_options

from ..example import ComponentExample, example_images, loss_terms
from ..layers import TextEmbedding, num_kept, patch_mask_to_image, patchify
from ..projectors import build_frozen_projector, check_latent_channels
from ..teachers import TeacherFeatures
from .base import BaseAlgorithm
from .latent_input import LatentInput
from .mask_scheduled import MaskScheduledMixin


@MODELS.register_module()
class MaskedDiffusion(LatentInput, MaskScheduledMixin, BaseAlgorithm):
    """Class-conditional, text-conditional or unconditional diffusion in a projector's latent space.

    Args:
        denoiser: ``DiT`` or ``UNet`` config (``denoiser(x_t, t, y)``, ``latent_shape``, ``null_label``); its
            ``in_channels`` must equal the latent channels.
        projector: frozen image → latent map (``IdentityProjector`` for pixel-space diffusion).
        diffusion: ``GaussianDiffusion.build`` kwargs: ``schedule`` ('linear' | 'cosine'), ``num_steps``,
            ``target`` ('eps' | 'v' | 'x0'), ``min_snr_gamma``; ``learn_sigma`` follows the denoiser.
        latent_scale: latents are multiplied by this before diffusion (SD-VAE: 0.18215 is applied by its projector;
            set ~1/std for others) and divided by it before decoding.
        sampling: defaults of ``sample``: ``sampler``, ``steps``, ``eta``, ``cfg_scale``, ``cfg_schedule``,
            ``cfg_power``, ``guide_channels``, ``clip_denoised``, ``path_drop_guidance`` (SPRINT's PDG: the guidance's
            null-label branch also drops the denoiser's sparse middle; needs ``SprintDiT``).
        val_seed: seed of the per-sample timesteps and noise of the validation loss.
        mask_scheduler: ``MASK_SCHEDULERS`` config turning masking on (MDT's objective: the full-input loss plus
            the loss of a pass whose encoder sees only ``1 − r`` of the tokens, both in one ``forward`` so DDP sees
            one graph). Any scheduler works — MDTv2's ``RandomRangeMaskScheduler(0.3, 0.5)`` or LMD's progressive
            ones; ``ProgressHook`` feeds it the training progress. Needs a denoiser with masking (``MDT``).
        masked_loss_weight: weight of the masked-pass loss (MDT: 1).
        masked_loss_on: where the masked pass's loss is taken: 'all' latent positions (MDT) or only the 'masked'
            (dropped) tokens' (the MDT ablation "loss on masked tokens"). With ``full_loss_weight`` 0 the logged
            ``vb`` is the masked pass's.
        full_loss_weight: weight of the full-input pass's loss (MDT: 1); 0 skips that pass, so training sees
            masked inputs only (the ablation of full and masked latent tokens). Validation and sampling always use
            the full input.
        token_plan: ``TOKEN_PLANS`` config (``TokenRouting`` for TREAD, ``DeferredMasking`` for MicroDiT): one
            training pass whose blocks see the tokens the plan draws at the scheduler's ratio. Needs
            ``mask_scheduler`` and a denoiser that takes routes (``DiT``). A plan whose tokens never rejoin trains on
            the kept tokens' latents only. Ratio 0 is the dense DiT step, exactly. With MDT the plan draws the
            tokens of its masked pass instead (default and only fit: ``DeferredMasking(start=0)``, MDT's drop
            before the encoder).
        mae_loss: ``MODELS`` loss config (MaskDiT: ``dict(type='MaskedMSELoss', norm_pix=True, loss_weight=0.1)``)
            added to a token plan's step whose dropped tokens never rejoin: the denoiser's output there (its first
            latent channels) against the noisy input's patches. Needs ``DeferredMasking`` and a denoiser that
            predicts dropped tokens (``MaskDiT``). The official MaskDiT scores its EDM-preconditioned denoised
            output there; lmdkit's ε objective has no such output, so the raw ε head is scored.
        alignment: ``MODELS`` loss config of representation alignment (``REPALoss``: REPA, with a ``TEACHERS``
            teacher): its term ``loss_repa`` on the denoiser's tokens after ``alignment.depth`` blocks of the dense
            or token-plan pass — with a plan, on the tokens that block sees. Needs a denoiser with
            ``forward_with_tokens`` (``DiT``, ``MaskDiT``), not MDT's two passes. The frozen teacher's weights are
            part of the model (and its checkpoints), as the frozen projector's are. With a ``REGDiT`` denoiser this
            is REG: the teacher's class token, noised with the latents, is denoised alongside them (sampling
            generates it from noise too) and aligned as the first token.
        rep_loss_weight: REG's weight of the class token's denoising loss (default: the official ``--cls 0.03``);
            only with a ``REGDiT`` denoiser.
        val_sampling: when set (a dict of ``sampling`` overrides, e.g. ``dict(steps=25)``), ``predict`` also
            generates one sample per validation item, conditioned on its label (or caption) and seeded by its
            index, returned as ``gen_image`` (uint8) for ``GenerativeMetric``.
        text_encoder: ``TEXT_ENCODERS`` config: captions (``data_samples['caption']``) condition the denoiser,
            which must be built with ``text_dim`` = the encoder's ``dim`` and no classes. A frozen encoder's
            weights are part of the model's checkpoints, as the frozen projector's are.
        caption_dropout: share of training captions replaced by the empty caption, whose embedding is the
            unconditional branch of classifier-free guidance.
    """

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny MaskedDiffusion and its objective (``lmdkit.models.example``; the registry-wide test)."""

        def objective(m: 'MaskedDiffusion') -> torch.Tensor:  # MDT's full + masked pass
            m.set_progress(0.5, 10)
            batch = dict(inputs=example_images(4, 1, 8, 8), data_samples=dict(gt_label=torch.tensor([0, 3, 5, 9])))
            return loss_terms(m(**m.data_preprocessor(batch, True), mode='loss'))

        denoiser = MODELS.get('MDT').example().cfg
        return ComponentExample(
            cfg=dict(
                type='MaskedDiffusion',
                data_preprocessor=dict(type='ImageOrLatentPreprocessor', mean=[127.5], std=[127.5]),
                projector=dict(type='IdentityProjector', in_channels=1),
                denoiser=denoiser,
                diffusion=dict(schedule='linear', num_steps=100, target='eps'),
                mask_scheduler=dict(type='RandomRangeMaskScheduler'),
            ),  # fmt: skip
            objective=objective,
        )

    def __init__(
        self,
        denoiser: dict,
        projector: Optional[dict] = None,
        diffusion: Optional[dict] = None,
        latent_scale: float = 1.0,
        sampling: Optional[dict] = None,
        val_seed: int = 0,
        mask_scheduler: Optional[dict] = None,
        masked_loss_weight: float = 1.0,
        masked_loss_on: str = 'all',
        full_loss_weight: float = 1.0,
        val_sampling: Optional[dict] = None,
        token_plan: Optional[dict] = None,
        mae_loss: Optional[dict] = None,
        alignment: Optional[dict] = None,
        rep_loss_weight: Optional[float] = None,
        text_encoder: Optional[dict] = None,
        caption_dropout: float = 0.1,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.projector = build_frozen_projector(projector)
        self.denoiser = MODELS.build(denoiser)
        check_latent_channels(self.projector, self.denoiser.in_channels, 'denoiser')
        self.text_encoder = TEXT_ENCODERS.build(text_encoder) if text_encoder is not None else None
        self._check_text(caption_dropout)
        self.caption_dropout = caption_dropout
        diffusion = dict(diffusion or {})
        diffusion.setdefault('learn_sigma', self.denoiser.learn_sigma)
        if diffusion['learn_sigma'] != self.denoiser.learn_sigma:
            raise ValueError('diffusion.learn_sigma must match the denoiser (it sets the output channels)')
        self.diffusion = GaussianDiffusion.build(**diffusion)
        self.latent_scale, self.val_seed = latent_scale, val_seed
        self.mask_scheduler = MASK_SCHEDULERS.build(mask_scheduler) if mask_scheduler is not None else None
        if token_plan is not None and mask_scheduler is None:
            raise ValueError(
                "token_plan draws tokens at the mask scheduler's ratio: set model.mask_scheduler "
                "(e.g. dict(type='FixedMaskScheduler', ratio=0.5))"
            )
        # MDT's objective: a full pass and a masked one, whose dropped tokens the token plan draws
        self.two_pass = mask_scheduler is not None and getattr(self.denoiser, 'supports_masking', False)
        if mask_scheduler is not None and token_plan is None and not self.two_pass:
            raise ValueError(f'mask_scheduler needs a denoiser with a masked pass (MDT); '
                             f'{type(self.denoiser).__name__} has none')  # fmt: skip
        self.mask_ratio = self.mask_scheduler(0.0, 0) if self.mask_scheduler is not None else 0.0
        if self.two_pass and token_plan is None:  # MDT's own drop: random tokens before the encoder
            token_plan = dict(type='DeferredMasking', start=0)
        self.token_plan = TOKEN_PLANS.build(token_plan) if token_plan is not None else None
        if self.two_pass:
            self.denoiser.check_token_plan(self.token_plan)
        elif self.token_plan is not None:
            if not getattr(self.denoiser, 'supports_routes', False):
                raise ValueError(f'token_plan needs a denoiser that takes token routes (DiT); '
                                 f'{type(self.denoiser).__name__} does not')  # fmt: skip
            self.denoiser.check_token_plan(self.token_plan)
        if mae_loss is not None and (
            self.token_plan is None
            or self.two_pass
            or self.token_plan.stop is not None
            or not self.denoiser.predicts_dropped_tokens
        ):
            raise ValueError(
                'mae_loss scores the predictions of the tokens a token plan drops for good: set '
                "model.token_plan=dict(type='DeferredMasking', start=0) and a denoiser that predicts them (MaskDiT)"
            )
        self.mae_loss = MODELS.build(mae_loss) if mae_loss is not None else None
        self.alignment = None
        if alignment is not None:
            if not getattr(self.denoiser, 'supports_alignment', False) or (self.two_pass):
                raise ValueError(f'alignment takes the hidden tokens of a DiT pass (DiT, MaskDiT; with or without '
                                 f'a token_plan); {type(self.denoiser).__name__} with MDT-style masking has '
                                 'none')  # fmt: skip
            self.alignment = MODELS.build(alignment, default_args=dict(hidden_size=self.denoiser.hidden_size))
            if self.alignment.depth > self.denoiser.depth:
                raise ValueError(f'alignment.depth {self.alignment.depth} > the denoiser\'s {self.denoiser.depth} '
                                 'blocks')  # fmt: skip
        self.rep_dim = getattr(self.denoiser, 'rep_dim', 0)
        if rep_loss_weight is not None and not self.rep_dim:
            raise ValueError(f'rep_loss_weight weights the class-token loss of REG: it needs a REGDiT denoiser, not '
                             f'{type(self.denoiser).__name__}')  # fmt: skip
        self.rep_loss_weight = 0.03 if rep_loss_weight is None else rep_loss_weight
        if self.rep_dim:  # REG
            if self.alignment is None:
                raise ValueError(f'{type(self.denoiser).__name__} denoises a teacher\'s class token (REG): set '
                                 "model.alignment=dict(type='REPALoss', teacher=...)")  # fmt: skip
            if self.alignment.teacher.feature_dim != self.rep_dim:
                raise ValueError(f'denoiser.rep_dim {self.rep_dim} must equal the teacher\'s feature_dim '
                                 f'{self.alignment.teacher.feature_dim}')  # fmt: skip
        if masked_loss_on not in ('all', 'masked'):
            raise ValueError(f"masked_loss_on must be 'all' or 'masked', got {masked_loss_on!r}")
        mdt_options = masked_loss_on != 'all' or full_loss_weight != 1.0 or masked_loss_weight != 1.0
        if not self.two_pass and mdt_options:
            raise ValueError(
                "masked_loss_on, masked_loss_weight and full_loss_weight shape MDT's masked pass: set an MDT "
                'denoiser and a mask_scheduler'
            )
        if masked_loss_weight < 0 or full_loss_weight < 0:
            raise ValueError(f'loss weights must be >= 0, got masked_loss_weight={masked_loss_weight}, '
                             f'full_loss_weight={full_loss_weight}')  # fmt: skip
        self.masked_loss_weight, self.full_loss_weight = masked_loss_weight, full_loss_weight
        self.masked_loss_on = masked_loss_on
        defaults = dict(sampler='ddim', steps=50, eta=0.0, cfg_scale=1.0, cfg_schedule='constant', cfg_power=1.0,
                        guide_channels=None, clip_denoised=False, path_drop_guidance=False)  # fmt: skip
        self.sampling = merge_options(defaults, sampling, 'sampling options')
        self._check_sampling(self.sampling)
        self._check_sampling(merge_options(self.sampling, val_sampling, 'val_sampling options'))  # used later
        self.val_sampling = val_sampling

    def _check_text(self, caption_dropout: float) -> None:
        text_dim = getattr(self.denoiser, 'text_dim', 0)
        name = type(self.denoiser).__name__
        if self.text_encoder is None and text_dim:
            raise ValueError(f'the {name} denoiser is text-conditioned (text_dim={text_dim}): set model.text_encoder '
                             "(e.g. dict(type='CLIPTextEncoder', model_dir=...))")  # fmt: skip
        if self.text_encoder is not None and not text_dim:
            raise ValueError(f'model.text_encoder needs a text-conditioned denoiser: set denoiser.text_dim='
                             f'{self.text_encoder.dim} and num_classes=0 ({name} has no text_dim)')  # fmt: skip
        if self.text_encoder is not None and text_dim != self.text_encoder.dim:
            raise ValueError(f'denoiser.text_dim {text_dim} must equal the text encoder\'s dim '
                             f'{self.text_encoder.dim}')  # fmt: skip
        if not 0.0 <= caption_dropout < 1.0:
            raise ValueError(f'caption_dropout must be in [0, 1), got {caption_dropout}')

    def _check_sampling(self, opts: dict) -> None:
        """Sampling options the denoiser cannot honour fail here (at build for the configured ones)."""
        if opts['path_drop_guidance'] and not getattr(self.denoiser, 'supports_path_drop', False):
            raise ValueError('path_drop_guidance needs a denoiser trained with path drop (SprintDiT with '
                             f'path_drop_prob > 0), not {type(self.denoiser).__name__}')  # fmt: skip
        if opts['path_drop_guidance'] and self.text_encoder is not None:
            raise ValueError('path_drop_guidance drops the sparse path of the null-class branch; a text-conditioned '
                             'model has no null class (use classifier-free guidance alone)')  # fmt: skip

    @property
    def num_classes(self) -> int:
        return self.denoiser.num_classes

    def _condition(self, data_samples: Optional[dict], device: torch.device, training: bool):
        """The batch's condition: its captions' embedding (a ``caption_dropout`` share replaced by the empty
        caption in training), its labels, or None (unconditional)."""
        if self.text_encoder is None:
            return self._labels(data_samples, device, training)
        with record_function('lmdkit::text'):
            return self.text_encoder.embed_batch(data_samples, self.caption_dropout if training else 0.0)

    def _labels(self, data_samples: Optional[dict], device: torch.device, training: bool) -> Optional[torch.Tensor]:
        if self.num_classes <= 0:
            return None
        labels = data_samples.get('gt_label') if isinstance(data_samples, dict) else None
        if labels is None or self.has_unlabelled(labels, training):
            raise ValueError('class-conditional diffusion needs labelled data (data_samples with gt_label >= 0)')
        return labels.to(device).long()

    def forward_tensor(self, inputs) -> torch.Tensor:
        raise ValueError("MaskedDiffusion has no 'tensor' mode; call sample() to generate")

    def loss(self, inputs, data_samples: Optional[dict] = None) -> Dict[str, torch.Tensor]:
        # the parts of the step are labelled for torch.profiler (STEP_PARTS; tools/benchmark.py --breakdown)
        with record_function('lmdkit::latents'):
            z = self.encode_latents(inputs)  # (B, C, h, w)
        y = self._condition(data_samples, z.device, training=True)
        t = torch.randint(0, self.diffusion.num_steps, (z.shape[0],), device=z.device)
        seen: Dict[str, torch.Tensor] = {}  # what the pass gives the alignment loss: tokens (and route)
        teacher = rep = None
        if self.rep_dim:  # REG: the teacher's class token, noised at the latents' timesteps, is denoised with them
            # (its noise drawn before the latents'; the official code draws it after: the same distribution)
            teacher = self._teacher_features(inputs)
            rep_noise = torch.randn_like(teacher.cls)
            rep = self.diffusion.q_sample(teacher.cls, t, rep_noise)
        if self.mask_scheduler is None:
            with record_function('lmdkit::pass_full'):
                losses = self.diffusion.training_losses(self._denoise_fn(y, None, seen, rep), z, t)
            out = dict(loss=losses['loss'].mean())
        elif not self.two_pass:
            with record_function('lmdkit::pass_routed'):
                losses = self._routed_losses(z, t, y, seen, rep)
            out = dict(loss=losses['loss'].mean())
            if 'mae' in losses:  # logged for reference; already part of the loss
                out['mae'] = losses['mae'].detach()
        else:  # MDT: same timesteps, fresh noise (as the official trainer); MMEngine sums the 'loss_*' terms
            out = {}
            if self.full_loss_weight:
                with record_function('lmdkit::pass_full'):
                    losses = self.diffusion.training_losses(lambda x, ts: self.denoiser(x, ts, y), z, t)
                out['loss_full'] = self.full_loss_weight * losses['loss'].mean()
            ratio, tokens, weight = self.mask_ratio, None, None
            if self.masked_loss_on == 'masked' and num_kept(self.denoiser.num_tokens, ratio) < self.denoiser.num_tokens:
                # which tokens are dropped, drawn here so the loss can be weighted by them (at a ratio that drops
                # nothing the pass is the full one and its loss is taken everywhere)
                tokens = torch.rand(z.shape[0], self.denoiser.num_tokens, device=z.device)
                weight = self.denoiser.dropped_latents(tokens, ratio)

            def masked_pass(x: torch.Tensor, ts: torch.Tensor) -> torch.Tensor:
                # the plan's route, drawn after the latents' noise (with tokens None: the official trainer's order)
                route = self.token_plan.route(x.shape[0], self.denoiser.num_tokens, ratio, x.device, noise=tokens)
                return self.denoiser(x, ts, y, route=route)

            with record_function('lmdkit::pass_masked'):
                masked = self.diffusion.training_losses(masked_pass, z, t, weight=weight)
            out['loss_masked'] = self.masked_loss_weight * masked['loss'].mean()
            if not self.full_loss_weight:
                losses = masked
        if 'vb' in losses:  # logged for reference; already part of the loss
            out['vb'] = losses['vb'].detach().mean()
        if self.alignment is not None:
            out['loss_repa'] = self._alignment_loss(inputs, seen, teacher)
        if rep is not None:  # REG's class-token loss: its own target at the same t (Min-SNR weighted as the latents)
            target = self.diffusion.training_target(teacher.cls, rep_noise, t)
            mse = mean_flat((target - seen['rep_out'].float()) ** 2) * self.diffusion.loss_weight(t)
            out['loss_rep'] = self.rep_loss_weight * mse.mean()
        return out

    def _teacher_features(self, inputs) -> TeacherFeatures:
        pre = self.data_preprocessor
        with record_function('lmdkit::teacher'):
            return self.alignment.targets(inputs, pre.mean.flatten(), pre.std.flatten(), self.denoiser.grid_size)

    def _denoise_fn(self, y: Optional[torch.Tensor], route, seen: dict, rep: Optional[torch.Tensor] = None):
        """The denoiser as ``training_losses`` calls it; keeps the noisy input, the output and, with alignment, the
        tokens after ``alignment.depth`` blocks in ``seen`` (REG: also the class token's prediction, given its noisy
        value ``rep``)."""
        depth = self.alignment.depth if self.alignment is not None else None

        def denoise(x: torch.Tensor, ts: torch.Tensor) -> torch.Tensor:
            if rep is not None:
                out, seen['rep_out'], seen['tokens'] = self.denoiser.forward_with_rep(x, ts, y, rep, route, depth)
            elif depth is None:
                out = self.denoiser(x, ts, y, route=route) if route is not None else self.denoiser(x, ts, y)
            else:
                out, seen['tokens'] = self.denoiser.forward_with_tokens(x, ts, y, route, depth)
            seen['xt'], seen['out'], seen['route'] = x, out, route
            return out

        return denoise

    def _alignment_loss(self, inputs, seen: dict, teacher: Optional[TeacherFeatures] = None) -> torch.Tensor:
        """REPA on the tokens of this step's pass: the teacher's features at the tokens block ``depth`` − 1 saw
        (REG: its class token first, against the denoiser's representation token)."""
        teacher = teacher if teacher is not None else self._teacher_features(inputs)
        targets, route = teacher.patches, seen['route']
        if route is not None and route.covers(self.alignment.depth - 1):
            targets = route.keep(targets)  # (B, K, D_teacher), in the tokens' order
        if self.rep_dim:
            targets = torch.cat([teacher.cls.unsqueeze(1), targets], dim=1)
        with record_function('lmdkit::alignment'):
            return self.alignment(seen['tokens'], targets)

    def _routed_losses(
        self, z: torch.Tensor, t: torch.Tensor, y: Optional[torch.Tensor], seen: dict, rep: Optional[torch.Tensor]
    ) -> Dict[str, torch.Tensor]:
        """One pass on the token plan's route at the current ratio; a route whose tokens never rejoin weights the
        loss by the kept tokens' latent pixels."""
        route = self.token_plan.route(z.shape[0], self.denoiser.num_tokens, self.mask_ratio, z.device)
        denoise = self._denoise_fn(y, route, seen, rep)
        if route is None or route.rejoins:
            return self.diffusion.training_losses(denoise, z, t)
        kept = route.kept_mask(self.denoiser.num_tokens)  # (B, N)
        weight = patch_mask_to_image(kept, self.denoiser.grid_size, self.denoiser.patch_size)  # (B, 1, H, W)
        losses = self.diffusion.training_losses(denoise, z, t, weight=weight)
        if self.mae_loss is not None:  # MaskDiT: the dropped tokens' predictions against the noisy input there
            p, c = self.denoiser.patch_size, z.shape[1]
            pred = patchify(seen['out'][:, :c], p)  # (B, N, p·p·C)
            losses['mae'] = self.mae_loss(pred, patchify(seen['xt'], p), 1.0 - kept)
            losses['loss'] = losses['loss'] + losses['mae']
        return losses

    @torch.no_grad()
    def predict(self, inputs, data_samples: Optional[dict] = None) -> List[dict]:
        """Validation: the diffusion MSE at per-sample timesteps and noise seeded by (val_seed, sample index), so
        every checkpoint is scored on the same draws."""
        z = self.encode_latents(inputs)
        y = self._condition(data_samples, z.device, training=False)
        index = data_samples.get('sample_idx') if isinstance(data_samples, dict) else None
        index = index.tolist() if index is not None else list(range(z.shape[0]))
        gens = [torch.Generator().manual_seed(self.val_seed * 1_000_003 + int(i)) for i in index]
        t = torch.stack([torch.randint(0, self.diffusion.num_steps, (1,), generator=g)[0] for g in gens]).to(z.device)
        noise = torch.stack([torch.randn(z.shape[1:], generator=g) for g in gens]).to(z.device)
        if self.rep_dim:  # REG: the latents' loss given the noisy class token (its noise drawn after theirs)
            cls = self._teacher_features(inputs).cls
            rep_noise = torch.stack([torch.randn(self.rep_dim, generator=g) for g in gens]).to(z.device)
            rep = self.diffusion.q_sample(cls, t, rep_noise)
            fn = lambda x, ts: self.denoiser.forward_with_rep(x, ts, y, rep)[0]  # noqa: E731
        else:
            fn = lambda x, ts: self.denoiser(x, ts, y)  # noqa: E731
        losses = self.diffusion.training_losses(fn, z, t, noise)
        results = [dict(diffusion_mse=float(m)) for m in losses['mse']]
        if self.val_sampling is not None:  # each item's starting noise from its own seed: batching does not matter
            gens = [torch.Generator().manual_seed(self.val_seed * 1_000_003 + int(i) + 500_009) for i in index]
            start = torch.stack([torch.randn(self.denoiser.latent_shape, generator=g) for g in gens])
            rep_start = torch.stack([torch.randn(self.rep_dim, generator=g) for g in gens]) if self.rep_dim else None
            if self.text_encoder is not None:
                out = self.sample(len(index), captions=list(data_samples['caption']), noise=start,
                                  rep_noise=rep_start, **self.val_sampling)  # fmt: skip
            else:
                out = self.sample(len(index), y, noise=start, rep_noise=rep_start, **self.val_sampling)
            pre = self.data_preprocessor
            images = to_uint8(out['images'], pre.mean, pre.std)
            for r, img, lab in zip(results, images, out['labels'] if out['labels'] is not None else [-1] * len(index)):
                r.update(gen_image=img, gen_label=int(lab))
            for r, caption in zip(results, out.get('captions') or []):
                r['gen_caption'] = caption
        return results

    @torch.no_grad()
    def sample(
        self,
        num: int,
        labels: Optional[torch.Tensor] = None,
        generator: Optional[torch.Generator] = None,
        progress: bool = False,
        decode: bool = True,
        noise: Optional[torch.Tensor] = None,
        rep_noise: Optional[torch.Tensor] = None,
        captions: Optional[Sequence[str]] = None,
        **overrides,
    ) -> Dict[str, torch.Tensor]:
        """Generate ``num`` samples (``labels`` (num,) for a class-conditional model; default: 0, 1, 2, … cycled;
        ``captions``, ``num`` of them, for a text-conditioned one, guided against the empty caption).

        ``noise`` fixes the starting latents (num, C, h, w) (with DDIM η = 0 the samples then depend on nothing
        else; REG: given ``rep_noise`` (num, rep_dim) too, the class token's start, else drawn from
        ``generator``). ``overrides`` replace the ``sampling`` defaults. Returns ``latents`` and, with ``decode``,
        ``images`` in the projector's image range (the data preprocessor's normalised space), plus ``labels`` (REG:
        and ``rep``, the generated class token; text: ``captions``).
        """
        opts = merge_options(self.sampling, overrides, 'sampling options')
        device = next(self.denoiser.parameters()).device
        was_training = self.training
        self.eval()  # no label dropout (nor a trainable text encoder's dropout) while sampling
        try:
            cond, null = self._sampling_conditions(num, labels, captions, device)
            if self.rep_dim:
                out = self._sample_with_rep(num, cond, null, generator, progress, decode, opts, device, noise,
                                            rep_noise)  # fmt: skip
            else:
                out = self._sample(num, cond, null, generator, progress, decode, opts, device, noise)
            if self.text_encoder is not None:
                out['captions'] = list(captions)
            return out
        finally:
            self.train(was_training)

    def _sampling_conditions(self, num: int, labels: Optional[torch.Tensor], captions: Optional[Sequence[str]],
                             device: torch.device):  # fmt: skip
        """(condition, null condition) of ``num`` samples: caption embeddings and the empty caption's, labels and
        the null class, or (None, None) for an unconditional model."""
        if self.text_encoder is not None:
            if captions is None or isinstance(captions, str) or len(captions) != num:
                raise ValueError(f'a text-conditioned model samples from captions: pass captions=[...] with {num} '
                                 f'str (got {captions!r:.80}; tools/sample.py --prompts FILE)')  # fmt: skip
            return self.text_encoder(list(captions)), self.text_encoder([''] * num)
        if captions is not None:
            raise ValueError('captions condition a text-conditioned model only (this one has no text_encoder)')
        if self.num_classes <= 0:
            return None, None
        labels = torch.arange(num) % self.num_classes if labels is None else labels
        labels = labels.to(device).long()
        return labels, torch.full_like(labels, self.denoiser.null_label)

    def _sample(self, num, cond, null, generator, progress, decode, opts, device, noise=None):
        if cond is not None:
            denoiser = self.denoiser
            if opts['path_drop_guidance']:  # SPRINT: the weak (null-label) branch also skips the sparse middle
                self._check_sampling(opts)
                label = self.denoiser.null_label
                denoiser = lambda x, t, y: self.denoiser(x, t, y, path_drop=y == label)  # noqa: E731
            fn = guided_model(denoiser, cond, null, opts['cfg_scale'], self.diffusion.num_steps,
                              opts['cfg_schedule'], opts['cfg_power'], opts['guide_channels'])  # fmt: skip
        else:
            fn = lambda x, t: self.denoiser(x, t, None)  # noqa: E731
        shape = (num, *self.denoiser.latent_shape)
        z = sample(self.diffusion, fn, shape, opts['sampler'], opts['steps'], opts['eta'], opts['clip_denoised'],
                   noise=noise, generator=generator, device=device, progress=progress)  # fmt: skip
        return self._outputs(z, cond, decode)

    def _outputs(self, z: torch.Tensor, cond, decode: bool, **extra) -> dict:
        """The samples' latents, their labels (None unless class-conditional) and images."""
        out = dict(latents=z, labels=None if isinstance(cond, TextEmbedding) else cond, **extra)
        if decode:
            out['images'] = self.projector.decode(z / self.latent_scale)
        return out

    def _sample_with_rep(
        self, num, cond, null, generator, progress, decode, opts, device, noise, rep_noise
    ) -> Dict[str, torch.Tensor]:
        """REG: the latents and the class token from noise together, guided alike."""
        self._check_sampling(opts)

        def joint(x, r, t, y):  # outputs in fp32 under autocast: the sampler's state stays fp32
            out, rep_out, _ = self.denoiser.forward_with_rep(x, t, y, r)
            return out.float(), rep_out.float()

        if cond is not None:
            fn = guided_joint_model(joint, cond, null, opts['cfg_scale'], self.diffusion.num_steps,
                                    opts['cfg_schedule'], opts['cfg_power'], opts['guide_channels'])  # fmt: skip
        else:
            fn = lambda x, r, t: joint(x, r, t, None)  # noqa: E731
        z, rep = sample_with_token(self.diffusion, fn, (num, *self.denoiser.latent_shape), self.rep_dim,
                                   opts['sampler'], opts['steps'], opts['eta'], opts['clip_denoised'], noise=noise,
                                   token_noise=rep_noise, generator=generator, device=device,
                                   progress=progress)  # fmt: skip
        return self._outputs(z, cond, decode, rep=rep)
