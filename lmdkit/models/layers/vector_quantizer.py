"""Nearest-neighbour vector quantisation with a straight-through gradient (VQ-VAE; taming's VectorQuantizer2)."""

from typing import Dict, Optional, Tuple

import torch
import torch.distributed as dist
import torch.nn as nn


class VectorQuantizer(nn.Module):
    """Maps each latent vector to its nearest codebook entry.

    Loss = codebook term ‖sg[z] − e‖² + β · commitment term ‖z − sg[e]‖² (van den Oord et al., 2017), β = 0.25.
    ``legacy=True`` reproduces taming-transformers' default, which puts β on the codebook term instead — what its
    released VQGANs were trained with.

    Args:
        num_codes: codebook size.
        dim: code width (the latent channel count).
        beta: weight of the commitment term (of the codebook term when ``legacy``).
        legacy: taming's weighting.
        restart_every: every this many training steps, codes unused since the last check are re-initialised to
            random encoder outputs of the current batch (0 = never, as taming). Counters live in the persistent
            buffer ``usage_count`` so resumed runs restart the same codes.
    """

    def __init__(
        self, num_codes: int, dim: int, beta: float = 0.25, legacy: bool = False, restart_every: int = 0
    ) -> None:
        super().__init__()
        self.num_codes, self.dim, self.beta, self.legacy = num_codes, dim, beta, legacy
        self.restart_every = restart_every
        self.embedding = nn.Embedding(num_codes, dim)
        nn.init.uniform_(self.embedding.weight, -1.0 / num_codes, 1.0 / num_codes)
        if restart_every > 0:
            self.register_buffer('usage_count', torch.zeros(num_codes))
            self.register_buffer('steps', torch.zeros((), dtype=torch.long))
        self._host_steps: Optional[int] = 0  # `steps` mirrored on the host: testing the buffer would sync every step

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        self._host_steps = None  # the loaded count is read at the next training step

    def nearest(self, flat: torch.Tensor) -> torch.Tensor:
        """(N, D) vectors -> (N,) indices of the nearest codes (squared Euclidean distance)."""
        codes = self.embedding.weight
        dist = flat.pow(2).sum(1, keepdim=True) + codes.pow(2).sum(1)[None] - 2 * flat @ codes.t()  # (N, K)
        return dist.argmin(1)

    def quantize_nearest(self, z: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Inference path: (B, D, h, w) -> (codes (B, D, h, w), indices (B, h, w)); no losses or statistics."""
        b, d, h, w = z.shape
        indices = self.nearest(z.permute(0, 2, 3, 1).reshape(-1, d)).view(b, h, w)
        return self.lookup(indices), indices

    def lookup(self, indices: torch.Tensor) -> torch.Tensor:
        """(B, h, w) indices -> (B, D, h, w) quantised latents."""
        return self.embedding(indices).permute(0, 3, 1, 2).contiguous()

    def forward(self, z: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, Dict[str, torch.Tensor]]:
        """(B, D, h, w) -> (quantised z with straight-through gradient, VQ loss, info with indices/perplexity)."""
        b, d, h, w = z.shape
        flat = z.permute(0, 2, 3, 1).reshape(-1, d)  # (B·h·w, D)
        indices = self.nearest(flat.detach())
        z_q = self.embedding(indices).view(b, h, w, d).permute(0, 3, 1, 2)
        codebook = (z_q - z.detach()).pow(2).mean()
        commitment = (z_q.detach() - z).pow(2).mean()
        loss = self.beta * codebook + commitment if self.legacy else codebook + self.beta * commitment
        z_q = z + (z_q - z).detach()  # straight-through: forward = codes, backward = identity to the encoder
        # code counts by index_add (exact: integers in float32); bincount sizes its output from the data's maximum,
        # which on CUDA waits for the device
        counts = flat.new_zeros(self.num_codes, dtype=torch.float32).index_add_(
            0, indices, torch.ones_like(indices, dtype=torch.float32)
        )
        if self.training and self.restart_every > 0:
            self._track_and_restart(counts, flat.detach())
        probs = counts / counts.sum()
        perplexity = torch.exp(-(probs * torch.log(probs + 1e-10)).sum())
        info = dict(indices=indices.view(b, h, w), perplexity=perplexity, usage=(counts > 0).float().mean())
        return z_q, loss, info

    @torch.no_grad()
    def _track_and_restart(self, counts: torch.Tensor, flat: torch.Tensor) -> None:
        """Count code use; every ``restart_every`` steps move unused codes onto random current encoder outputs
        (the same on every rank: the new codes are broadcast from rank 0)."""
        self.usage_count += counts
        if self._host_steps is None:
            self._host_steps = int(self.steps)  # once after loading a checkpoint
        self.steps += 1
        self._host_steps += 1
        if self._host_steps % self.restart_every:
            return
        dead = self.usage_count == 0
        n_dead = int(dead.sum())
        if n_dead:
            picks = torch.randint(0, flat.shape[0], (n_dead,), device=flat.device)
            self.embedding.weight.data[dead] = flat[picks].to(self.embedding.weight.dtype)
            if dist.is_available() and dist.is_initialized():
                dist.broadcast(self.embedding.weight.data, 0)
        self.usage_count.zero_()
