"""One device-to-host copy per training step: the values a step logs, read together with its gradient check.

Reading a CUDA tensor on the host (``.item()``, ``float(t)``, ``bool(t)``) waits for every queued kernel. MMEngine
reads each logged value separately (``RuntimeInfoHook``), so a step logging k values and checking its gradients
stalls k + 1 times. Here a model's ``parse_losses`` announces its logged tensors (:func:`expect`), the first host
read of the step (NonFiniteGuardHook's verdict, :func:`read`) copies them in the same transfer, and
:func:`resolve` hands the training loop plain floats (reading once itself if nothing has read this step).
"""

from typing import Any, Dict, List, Mapping

import torch

_expected: List[torch.Tensor] = []  # this step's logged tensors not read yet
_read: Dict[int, float] = {}  # id(tensor) -> value, for tensors read this step
_keep: List[torch.Tensor] = []  # keeps read tensors alive so their ids stay unique until resolve()


_MAX_EXPECTED = 1024  # bound for callers that never read (a bare train_step loop): older entries are dropped


def expect(values: Mapping[str, Any]) -> None:
    """Announce tensors a training step will log; the step's next :func:`read` copies them too. Announcements add
    up until that read, so the micro-batches of an accumulated step are all read with its one gradient check."""
    _expected.extend(v for v in values.values() if isinstance(v, torch.Tensor))
    del _expected[:-_MAX_EXPECTED]


def read(*tensors: torch.Tensor) -> List[float]:
    """Copy scalar ``tensors`` and every expected value to the host in one transfer; returns ``tensors``' values."""
    pending = [t for t in _expected if id(t) not in _read]
    parts = [t.detach().reshape(()) for t in (*tensors, *pending)]
    if not parts:
        return []
    device = parts[0].device
    values = torch.stack([p.to(device=device, dtype=torch.float32) for p in parts]).tolist()  # the host sync
    for t, v in zip(pending, values[len(tensors) :]):
        _read[id(t)] = v
        _keep.append(t)
    _expected.clear()
    return values[: len(tensors)]


def resolve(*outputs: Dict[str, Any]) -> Dict[str, Any]:
    """Replace the tensors in a step's ``outputs`` (one dict, or one per micro-batch) by floats, in place (one
    transfer for any not read yet), and forget the step. Returns the first dict."""
    values = [v for out in outputs for v in out.values()]
    missing = [v for v in values if isinstance(v, torch.Tensor) and id(v) not in _read]
    if missing:
        _expected[:] = missing
        read()
    for out in outputs:
        for key, value in out.items():
            if isinstance(value, torch.Tensor):
                out[key] = _read[id(value)]
    _read.clear()
    _keep.clear()
    _expected.clear()
    return outputs[0] if outputs else {}
