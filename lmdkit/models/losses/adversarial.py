"""GAN losses for the autoencoder stage (VQGAN): hinge or vanilla (non-saturating), and VQGAN's adaptive weight."""

import torch
import torch.nn.functional as F


def discriminator_loss(logits_real: torch.Tensor, logits_fake: torch.Tensor, kind: str = 'hinge') -> torch.Tensor:
    """hinge: ½(E[relu(1 − D(x))] + E[relu(1 + D(x̂))]); vanilla: ½(E[softplus(−D(x))] + E[softplus(D(x̂))])."""
    if kind == 'hinge':
        return 0.5 * (F.relu(1.0 - logits_real).mean() + F.relu(1.0 + logits_fake).mean())
    if kind == 'vanilla':
        return 0.5 * (F.softplus(-logits_real).mean() + F.softplus(logits_fake).mean())
    raise ValueError(f"GAN loss must be 'hinge' or 'vanilla', got {kind!r}")


def generator_loss(logits_fake: torch.Tensor, kind: str = 'hinge') -> torch.Tensor:
    """hinge: −E[D(x̂)] (as taming); vanilla: E[softplus(−D(x̂))]."""
    if kind == 'hinge':
        return -logits_fake.mean()
    if kind == 'vanilla':
        return F.softplus(-logits_fake).mean()
    raise ValueError(f"GAN loss must be 'hinge' or 'vanilla', got {kind!r}")


def adaptive_weight(rec_loss: torch.Tensor, gan_loss: torch.Tensor, last_layer: torch.Tensor) -> torch.Tensor:
    """γ = clamp(‖∇_L L_rec‖ / (‖∇_L L_adv‖ + 1e-4), 0, 1e4), detached, L = the decoder's last layer (VQGAN eq. 7)."""
    rec_grad = torch.autograd.grad(rec_loss, last_layer, retain_graph=True)[0]
    gan_grad = torch.autograd.grad(gan_loss, last_layer, retain_graph=True)[0]
    return (rec_grad.norm() / (gan_grad.norm() + 1e-4)).clamp(0.0, 1e4).detach()
