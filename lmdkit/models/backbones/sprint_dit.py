"""SPRINT (Park et al., 2025, "Sparse-Dense Residual Fusion for Efficient Diffusion Transformers"): a DiT whose
blocks split into a dense encoder, a middle that runs on a token subset in training, and a dense decoder. After the
middle, dropped positions take a fixed mask token and the sequence is fused with the encoder's output — a linear map
of their concatenation (official ``renoise_linear``) — before the decoder.

Facts from the official snap-research/Sprint ``src/models/sit.py``: the mask token is a frozen N(0, 0.02) vector;
in training each sample's whole middle output is replaced by it with probability 0.1 (``cfg_mask_prob``), which
path-drop guidance uses at sampling (the weak branch: the null label with the middle skipped); the fusion also runs
in the dense fine-tuning phase and at sampling. The official model is a SiT with RoPE and RMS-normed q/k; here the
blocks are DiT's (absolute sin-cos positions, added before the encoder, so kept tokens keep theirs).
"""

from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn

from lmdkit.registry import MODELS

from ..example import ComponentExample, example_noise, weighted_mean
from ..layers import Context
from ..token_plans import TokenRoute
from .dit import DiT


@MODELS.register_module()
class SprintDiT(DiT):
    """DiT with SPRINT's sparse-dense fusion.

    Args:
        encoder_depth: dense blocks before the sparse middle (official: 2).
        decoder_depth: dense blocks after the fusion (official: 2).
        path_drop_prob: per-sample probability, in training, of replacing the whole middle output by the mask token
            (official ``cfg_mask_prob``: 0.1).
        **kwargs: ``DiT``'s arguments (``depth`` counts all blocks: SPRINT-XL 2 + 24 + 2 = 28).

    ``forward(x, t, y, route=None, path_drop=None)`` (``DiT``'s): a route (training with ``SparseDenseRouting``)
    must span the middle exactly (``start`` = encoder_depth, ``stop`` = depth − decoder_depth); ``path_drop`` (B,)
    bool drops the middle of those samples (path-drop guidance); in training it is drawn with ``path_drop_prob``
    when not given.
    """

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny SprintDiT (``lmdkit.models.example``; the registry-wide test): a 1 + 2 + 1 block split, half the
        tokens in the middle, no path drop so every parameter takes part."""
        cfg = dict(DiT.example().cfg, type='SprintDiT', depth=4, encoder_depth=1, decoder_depth=1, path_drop_prob=0.0)
        keep = torch.arange(0, 16, 2).expand(2, -1)

        def objective(m: 'SprintDiT') -> torch.Tensor:
            x, t, y = example_noise(2, 1, 8, 8), torch.tensor([3, 90]), torch.tensor([1, 10])
            return weighted_mean(m(x, t, y, route=TokenRoute(keep, 1, 3)))

        return ComponentExample(cfg=cfg, objective=objective)

    def __init__(
        self, encoder_depth: int = 2, decoder_depth: int = 2, path_drop_prob: float = 0.1, **kwargs
    ) -> None:  # fmt: skip
        self.encoder_depth, self.decoder_depth = encoder_depth, decoder_depth
        if not 0.0 <= path_drop_prob < 1.0:
            raise ValueError(f'path_drop_prob must be in [0, 1), got {path_drop_prob}')
        self.path_drop_prob = path_drop_prob
        super().__init__(**kwargs)
        if encoder_depth < 1 or decoder_depth < 1 or encoder_depth + decoder_depth >= self.depth:
            raise ValueError(f'SprintDiT splits its {self.depth} blocks into encoder_depth ({encoder_depth}) >= 1, a '
                             f'middle of >= 1 and decoder_depth ({decoder_depth}) >= 1')  # fmt: skip

    def _build_blocks(self, hidden_size: int, depth: int, num_heads: int, mlp_ratio: float) -> None:
        super()._build_blocks(hidden_size, depth, num_heads, mlp_ratio)
        self.renoise_linear = nn.Linear(2 * hidden_size, hidden_size)  # fusion of [middle, encoder] outputs
        self.mask_token = nn.Parameter(torch.zeros(1, 1, hidden_size), requires_grad=False)  # frozen, as official

    def _random_init(self) -> None:
        """DiT's init (xavier ``renoise_linear`` included), then the official N(0, 0.02) mask token."""
        super()._random_init()
        nn.init.normal_(self.mask_token, std=0.02)

    @property
    def middle(self) -> Tuple[int, int]:
        """(first, stop) block indices of the sparse middle."""
        return self.encoder_depth, self.depth - self.decoder_depth

    @property
    def supports_path_drop(self) -> bool:
        """Only when trained with path drop: otherwise the mask token never stood for a skipped middle."""
        return self.path_drop_prob > 0

    def check_token_plan(self, plan) -> None:
        """The plan's route must span the middle exactly."""
        super().check_token_plan(plan)
        if (plan.start, plan.stop) != self.middle:
            raise ValueError(f'{plan!r} does not span the SprintDiT middle: set start={self.middle[0]}, '
                             f'stop={self.middle[1]} (encoder_depth, depth - decoder_depth)')  # fmt: skip

    def _run_blocks(
        self,
        x: torch.Tensor,
        c: torch.Tensor,
        route: Optional[TokenRoute],
        depth: Optional[int] = None,
        path_drop: Optional[torch.Tensor] = None,
        context: Optional[Context] = None,
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Encoder on all tokens; middle on the route's kept ones (all without a route); the dropped positions —
        and every position of a path-dropped sample — as the mask token; fusion with the encoder's output; decoder
        on all tokens. Also the tokens after block ``depth`` − 1. In training, ``path_drop`` (None) is drawn."""
        if path_drop is None and self.training and self.path_drop_prob > 0:
            path_drop = torch.rand(x.shape[0], device=x.device) < self.path_drop_prob
        first, stop = self.middle
        if route is not None and (route.start, route.stop) != (first, stop):
            raise ValueError(f'a SprintDiT route must span its middle, blocks {first}..{stop - 1} (start={first}, '
                             f'stop={stop}); got start={route.start}, stop={route.stop}')  # fmt: skip
        if route is not None and route.fp32_after_rejoin:
            raise ValueError("SPRINT's rejoin is its fusion: set the token plan's fp32_after_rejoin=False")
        taken: Dict[str, torch.Tensor] = {}
        dense = self._blocks(x, c, context, 0, first, depth, taken)  # the encoder's output, fused back after the middle
        mask = self.mask_token.to(dense.dtype).expand(dense.shape[0], self.num_tokens, -1)
        if path_drop is not None and route is None and depth is None:
            # sampling with path-drop guidance: the dropped rows skip the middle (the official forward_pdg)
            run = ~path_drop
            x = mask.clone()
            if run.any():
                sub = None if context is None else tuple(part[run] for part in context)
                x[run] = self._blocks(dense[run], c[run], sub, first, stop, None, taken).to(x.dtype)
        else:
            x = self._blocks(route.keep(dense) if route is not None else dense, c, context, first, stop, depth, taken)
            if route is not None:
                x = route.rejoin(x, mask)  # dropped positions: the mask token
            if path_drop is not None:  # training: whole rows replaced, as the official
                x = torch.where(path_drop.view(-1, 1, 1), mask.to(x.dtype), x)
        x = self.renoise_linear(torch.cat([x, dense.to(x.dtype)], dim=-1))
        return self._blocks(x, c, context, stop, self.depth, depth, taken), taken.get('tokens')

    def _blocks(
        self,
        x: torch.Tensor,
        c: torch.Tensor,
        context: Optional[Context],
        begin: int,
        end: int,
        depth: Optional[int],
        taken: Dict,
    ) -> torch.Tensor:
        """Blocks ``begin`` … ``end − 1``; the output of block ``depth`` − 1 goes to ``taken['tokens']``."""
        for i in range(begin, end):
            x = self.blocks[i](x, c, context)
            if i + 1 == depth:
                taken['tokens'] = x
        return x
