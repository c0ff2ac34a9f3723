"""One device-to-host copy per training step: the values a step logs, read together with its gradient check.

Reading a CUDA tensor on the host (``.item()``, ``float(t)``, ``bool(t)``) waits for every queued kernel. MMEngine
reads each logged value separately (``RuntimeInfoHook``), so a step logging k values and checking its gradients
stalls k + 1 times. Here an algorithm's ``parse_losses`` announces its logged tensors to its ``StepReadout``
(:meth:`~StepReadout.expect`), the first host read of the step (NonFiniteGuardHook's verdict,
:meth:`~StepReadout.read`) copies them in the same transfer, and :meth:`~StepReadout.resolve` hands the training
loop plain floats (reading once itself if nothing has read this step). Each algorithm owns one readout
(``BaseAlgorithm.step_readout``); the engine finds it there, so no state is shared between models or processes.
"""

from typing import Any, Dict, List, Mapping

import torch


class StepReadout:
    """The tensors one training step logs, and their host values once read."""

    max_expected = 1024  # bound for callers that never read (a bare train_step loop): older entries are dropped

    def __init__(self) -> None:
        self.expected: List[torch.Tensor] = []  # this step's logged tensors not read yet
        self.values: Dict[int, float] = {}  # id(tensor) -> value, for tensors read this step
        self.kept: List[torch.Tensor] = []  # keeps read tensors alive so their ids stay unique until resolve()

    def __deepcopy__(self, memo: dict) -> 'StepReadout':
        """A copy of the model (EMA, a sampling copy) gets an empty readout of its own: the pending tensors belong
        to this model's step (and may still be attached to its autograd graph, which cannot be deep-copied)."""
        return StepReadout()

    def expect(self, values: Mapping[str, Any]) -> None:
        """Announce tensors a training step will log; the step's next :meth:`read` copies them too. Announcements
        add up until that read, so the micro-batches of an accumulated step are all read with its one gradient
        check."""
        self.expected.extend(v for v in values.values() if isinstance(v, torch.Tensor))
        del self.expected[: -self.max_expected]

    def read(self, *tensors: torch.Tensor) -> List[float]:
        """Copy scalar ``tensors`` and every expected value to the host in one transfer; returns ``tensors``'
        values."""
        pending = [t for t in self.expected if id(t) not in self.values]
        parts = [t.detach().reshape(()) for t in (*tensors, *pending)]
        if not parts:
            return []
        device = parts[0].device
        values = torch.stack([p.to(device=device, dtype=torch.float32) for p in parts]).tolist()  # the host sync
        for t, v in zip(pending, values[len(tensors) :]):
            self.values[id(t)] = v
            self.kept.append(t)
        self.expected.clear()
        return values[: len(tensors)]

    def resolve(self, *outputs: Dict[str, Any]) -> Dict[str, Any]:
        """Replace the tensors in a step's ``outputs`` (one dict, or one per micro-batch) by floats, in place (one
        transfer for any not read yet), and forget the step. Returns the first dict."""
        values = [v for out in outputs for v in out.values()]
        missing = [v for v in values if isinstance(v, torch.Tensor) and id(v) not in self.values]
        if missing:
            self.expected[:] = missing
            self.read()
        for out in outputs:
            for key, value in out.items():
                if isinstance(value, torch.Tensor):
                    out[key] = self.values[id(value)]
        self.values.clear()
        self.kept.clear()
        self.expected.clear()
        return outputs[0] if outputs else {}
