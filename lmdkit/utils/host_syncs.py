"""Count the operations that make the host wait for the device, and where they come from.

On CUDA a step that reads a tensor's value (``.item()``, ``float(t)``, ``bool(t)``, ``.tolist()``, ``.cpu()``) or
runs an op whose output size depends on the data (``nonzero``, boolean-mask indexing, ``unique``, ...) stalls until
every queued kernel has finished. The same calls happen on CPU, where they cost nothing, so counting them there
audits the CUDA path without a GPU (``tools/analysis/host_syncs.py``).
"""

import os.path as osp
import sys
from collections import Counter
from typing import Callable, Dict, List, Optional, Tuple

import torch
from torch.utils._python_dispatch import TorchDispatchMode

aten = torch.ops.aten

#: ops that copy a value to the host or whose output shape depends on tensor values
SYNC_OPS = {
    aten._local_scalar_dense,  # .item(), float(t), int(t), bool(t)
    aten.nonzero,
    aten.masked_select,
    aten._unique2,
    aten.unique_dim,
    aten.unique_consecutive,
    aten.equal,
    aten.bincount,  # CUDA sizes the output from the input's maximum
    aten.histc,  # CUDA reads the data's min/max when min == max == 0
}

#: tensor methods that copy to host memory without a dispatched op on CPU tensors
HOST_METHODS = ('tolist', 'numpy', 'cpu')

_SKIP = (osp.dirname(torch.__file__), osp.abspath(__file__))
#: callers whose tensors stay on the host in a CUDA run: PyTorch optimisers keep their ``step`` counters on the CPU
#: (unless ``capturable``/``fused``) and read them with ``.item()``
_HOST_SIDE = (osp.join(osp.dirname(torch.__file__), 'optim') + osp.sep,)
_HOST_SIDE_CODE: set = set()  # code objects of functions marked with @host_side


def host_side(func: Callable) -> Callable:
    """Mark ``func`` as reading host tensors only (a data loader's, before they are copied to the device): a CUDA
    run does not wait in it, so :class:`HostSyncCounter` does not count reads made inside it."""
    _HOST_SIDE_CODE.add(func.__code__)
    return func


def _call_site() -> Optional[str]:
    """``file:line function`` of the innermost caller outside PyTorch and this module; None for host-side reads."""
    frames = []  # innermost first
    frame = sys._getframe(1)
    while frame is not None:
        frames.append((osp.abspath(frame.f_code.co_filename), frame))  # '..' resolved
        frame = frame.f_back
    if any(path.startswith(_HOST_SIDE) or frame.f_code in _HOST_SIDE_CODE for path, frame in frames):
        return None
    for path, frame in frames:
        if not path.startswith(_SKIP) and '<' not in path:
            return f'{osp.join(*path.split(osp.sep)[-3:])}:{frame.f_lineno} {frame.f_code.co_name}'
    return 'unknown'


def _is_sync(func, args) -> bool:
    packet = func.overloadpacket
    if packet in SYNC_OPS:
        return True
    if packet in (aten.index, aten.index_put, aten.index_put_):  # a boolean mask as an index
        indices = args[1] if len(args) > 1 else []
        return any(isinstance(i, torch.Tensor) and i.dtype == torch.bool for i in indices or [])
    if packet is aten.repeat_interleave:  # without output_size the output length is data-dependent
        return len(args) == 1 or isinstance(args[1], torch.Tensor)
    return False


class HostSyncCounter(TorchDispatchMode):
    """Context manager recording every potential host sync as ``(what, call site)`` in :attr:`events`.

    Example::

        with HostSyncCounter() as syncs:
            loss.item()
        syncs.count  # 1
    """

    def __init__(self) -> None:
        super().__init__()
        self.events: List[Tuple[str, str]] = []
        self._originals: Dict[str, object] = {}

    @property
    def count(self) -> int:
        return len(self.events)

    def sites(self) -> Counter:
        """How often each ``(what, call site)`` occurred."""
        return Counter(self.events)

    def _record(self, what: str) -> None:
        site = _call_site()
        if site is not None:
            self.events.append((what, site))

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if _is_sync(func, args):
            self._record(func.overloadpacket.__name__)
        return func(*args, **(kwargs or {}))

    def __enter__(self):
        for name in HOST_METHODS:
            original = getattr(torch.Tensor, name)
            self._originals[name] = original

            def counted(tensor, *args, _name=name, _original=original, **kwargs):
                self._record(_name)
                with torch.utils._python_dispatch._disable_current_modes():  # .cpu() must not count twice
                    return _original(tensor, *args, **kwargs)

            setattr(torch.Tensor, name, counted)
        return super().__enter__()

    def __exit__(self, *exc):
        for name, original in self._originals.items():
            setattr(torch.Tensor, name, original)
        self._originals = {}
        return super().__exit__(*exc)


def describe(counter: HostSyncCounter, per: Optional[int] = None) -> str:
    """Lines ``count  what  call site`` (divided by ``per`` iterations when given), most frequent first."""
    lines = []
    for (what, site), n in counter.sites().most_common():
        amount = f'{n / per:g}' if per else str(n)
        lines.append(f'{amount:>6}  {what:<20} {site}')
    return '\n'.join(lines) if lines else '(none)'
