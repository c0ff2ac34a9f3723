"""Training a projector (the paper's latent-space pretraining, LMD eqs. 2–6): VQGAN or KL autoencoder with
reconstruction, regularisation, optional perceptual and adversarial terms."""

import logging
from typing import Dict, List, Mapping, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.optim import OptimWrapperDict

from lmdkit.registry import MODELS

from ..example import ComponentExample, example_images
from ..losses import adaptive_weight, discriminator_loss, generator_loss
from ..projectors import VQGANProjector
from .base import BaseAlgorithm


@MODELS.register_module()
class Autoencoder(BaseAlgorithm):
    """Trains ``projector`` (``VQGANProjector`` or ``AutoencoderKLProjector``) with a PatchGAN discriminator.

    Generator loss = rec_weight · |x − x̂|₁ (or MSE) + perceptual_weight · LPIPS + codebook_weight · L_VQ
    (or kl_weight · KL) + γ · disc_weight · L_G once the iteration reaches ``disc_start``, where γ is the adaptive
    weight (VQGAN eq. 7). Projector and discriminator have their own optimisers: ``optim_wrapper`` is a dict with
    keys ``projector`` and ``discriminator`` built by ``MultiOptimWrapperConstructor``.

    Args:
        projector: the autoencoder to train.
        discriminator: ``PatchDiscriminator`` config, or None for no adversarial term.
        perceptual_loss: optional perceptual loss config (e.g. LPIPS with local weights).
        rec_loss: 'l1' or 'l2'.
        gan_loss: 'hinge' or 'vanilla'.
        disc_start: iteration at which the adversarial terms start.
        adaptive: use the adaptive weight γ (else γ = 1).
    """

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny Autoencoder and its objective (``lmdkit.models.example``; the registry-wide test)."""

        def objective(m: 'Autoencoder') -> torch.Tensor:  # the generator loss reaches the discriminator too
            losses = m(m.data_preprocessor(dict(inputs=example_images(4, 1, 16, 16)), True)['inputs'], mode='loss')
            return losses['loss'] + losses['loss_g']

        projector = MODELS.get('VQGANProjector').example().cfg
        return ComponentExample(
            cfg=dict(
                type='Autoencoder',
                data_preprocessor=dict(type='ImgDataPreprocessor', mean=[127.5], std=[127.5]),
                projector=projector,
                discriminator=MODELS.get('PatchDiscriminator').example().cfg,
                disc_start=3,
            ),  # fmt: skip
            objective=objective,
        )

    def __init__(
        self,
        projector: dict,
        discriminator: Optional[dict] = None,
        perceptual_loss: Optional[dict] = None,
        rec_loss: str = 'l1',
        rec_weight: float = 1.0,
        perceptual_weight: float = 1.0,
        codebook_weight: float = 1.0,
        kl_weight: float = 1e-6,
        disc_weight: float = 0.8,
        gan_loss: str = 'hinge',
        disc_start: int = 0,
        adaptive: bool = True,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if rec_loss not in ('l1', 'l2'):
            raise ValueError(f"rec_loss must be 'l1' or 'l2', got {rec_loss!r}")
        self.projector = MODELS.build(projector)
        self.discriminator = MODELS.build(discriminator) if discriminator else None
        self.perceptual = MODELS.build(perceptual_loss) if perceptual_loss else None
        self.is_vq = isinstance(self.projector, VQGANProjector)
        self.rec_loss, self.gan_loss, self.disc_start, self.adaptive = rec_loss, gan_loss, disc_start, adaptive
        self.steps_done: Optional[int] = None  # optimiser steps before this one (ProgressHook sets it every step)
        self.weights = dict(rec=rec_weight, perceptual=perceptual_weight, codebook=codebook_weight, kl=kl_weight,
                            disc=disc_weight)  # fmt: skip

    # ------------------------------------------------------------------ autoencoding
    def autoencode(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Reconstruction and regulariser of a batch: dict(rec, reg, [indices, perplexity, usage])."""
        if self.is_vq:
            z_q, vq_loss, info = self.projector.quantize_images(images)
            return dict(rec=self.projector.decode(z_q), reg=vq_loss, **info)
        mean, logvar = self.projector.posterior(images)
        z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean) if self.training else mean
        return dict(rec=self.projector.decode(z), reg=self.projector.kl(mean, logvar).mean())

    # ------------------------------------------------------------------ schedule
    @classmethod
    def training_hooks(cls, model_cfg: Mapping) -> List[dict]:
        """``ProgressHook`` tells the model the step, when a discriminator starts after step 0."""
        later = model_cfg.get('discriminator') is not None and model_cfg.get('disc_start', 0) > 0
        return super().training_hooks(model_cfg) + ([dict(type='ProgressHook')] if later else [])

    def _steps_done(self) -> int:
        if self.steps_done is None:  # nothing told the step: say once that the adversarial terms stay off
            if self.discriminator is not None and self.disc_start > 0:
                print_log(f'Autoencoder: no ProgressHook tells the training step (lmdkit.apis.train adds it), so the '
                          f'discriminator, due at step {self.disc_start}, stays off', logger='current',
                          level=logging.WARNING)  # fmt: skip
            self.steps_done = 0
        return self.steps_done

    def set_progress(self, progress: float, step: Optional[int] = None) -> None:
        """Record the optimiser steps done (``ProgressHook``, before each step): the adversarial terms start at
        step ``disc_start``."""
        self.steps_done = int(step if step is not None else 0)

    def generator_losses(self, images: torch.Tensor, out: Dict[str, torch.Tensor], use_gan: bool) -> dict:
        rec = out['rec']
        if self.rec_loss == 'l1':
            rec_term = (images - rec).abs().mean()
        else:
            rec_term = F.mse_loss(rec, images)
        nll = self.weights['rec'] * rec_term
        losses = dict(loss_rec=rec_term)
        if self.perceptual is not None:
            losses['loss_perceptual'] = self.perceptual(rec, images).mean()
            nll = nll + self.weights['perceptual'] * losses['loss_perceptual']
        reg_weight = self.weights['codebook'] if self.is_vq else self.weights['kl']
        losses['loss_vq' if self.is_vq else 'loss_kl'] = out['reg']
        total = nll + reg_weight * out['reg']
        if use_gan:
            g_loss = generator_loss(self.discriminator(rec), self.gan_loss)
            gamma = adaptive_weight(nll, g_loss, self.projector.last_layer) if self.adaptive else rec.new_tensor(1.0)
            total = total + gamma * self.weights['disc'] * g_loss
            losses.update(loss_g=g_loss, gan_weight=gamma)
        losses['loss'] = total
        return losses

    # ------------------------------------------------------------------ MMEngine hooks
    def train_step(self, data: Union[dict, tuple, list], optim_wrapper: OptimWrapperDict) -> Dict[str, torch.Tensor]:
        data = self.data_preprocessor(data, True)
        images = data['inputs']
        use_gan = self.discriminator is not None and self._steps_done() >= self.disc_start
        gen_wrapper = optim_wrapper['projector']
        with gen_wrapper.optim_context(self):
            out = self.autoencode(images)
            losses = self.generator_losses(images, out, use_gan)
        log = {k: v.detach() for k, v in losses.items()}
        if self.is_vq:
            log.update(perplexity=out['perplexity'].detach(), codebook_usage=out['usage'].detach())
        self.step_readout.expect(log)  # read with the generator step's gradient check (one host sync per update)
        gen_wrapper.update_params(losses['loss'])
        if use_gan:
            disc_wrapper = optim_wrapper['discriminator']
            disc_wrapper.zero_grad()  # drop the gradients L_G left in the discriminator
            with disc_wrapper.optim_context(self.discriminator):
                d_loss = discriminator_loss(self.discriminator(images), self.discriminator(out['rec'].detach()),
                                            self.gan_loss)  # fmt: skip
            log['loss_d'] = d_loss.detach()
            self.step_readout.expect(dict(loss_d=log['loss_d']))
            disc_wrapper.update_params(d_loss)
        return log

    def loss(self, inputs: torch.Tensor, data_samples: Optional[dict] = None) -> Dict[str, torch.Tensor]:
        """Generator losses without updates (tests and tools; training goes through :meth:`train_step`)."""
        return self.generator_losses(inputs, self.autoencode(inputs), self.discriminator is not None)

    def forward_tensor(self, inputs: torch.Tensor) -> torch.Tensor:
        """The projector's latents of preprocessed images."""
        return self.projector.encode(inputs)

    @torch.no_grad()
    def reconstruct(self, inputs: torch.Tensor) -> Dict[str, torch.Tensor]:
        """``input`` and ``reconstruction`` (preprocessed range) for pictures."""
        return dict(input=inputs, reconstruction=self.autoencode(inputs)['rec'])

    @torch.no_grad()
    def predict(self, inputs: torch.Tensor, data_samples: Optional[dict] = None) -> List[dict]:
        """Reconstructions and originals in 0–255 (for PSNR/SSIM) and, for VQ, the code indices (for usage)."""
        out = self.autoencode(inputs)
        mean, std = self.data_preprocessor.mean, self.data_preprocessor.std  # (C, 1, 1)
        pred = (out['rec'] * std + mean).clamp(0, 255)
        gt = inputs * std + mean
        results = []
        for i in range(inputs.shape[0]):
            item = dict(pred=pred[i].cpu(), gt=gt[i].cpu())
            if self.is_vq:
                item['indices'] = out['indices'][i].cpu()
            results.append(item)
        return results
