"""Catch on the CPU the mistakes that crash a run on CUDA.

A run on a GPU fails when one operation mixes a tensor on the GPU with one in host memory
(a factory call without `device=`, `torch.from_numpy`), when a host generator draws on the
GPU, or when `.numpy()` is called on a GPU tensor. On a CPU-only machine all of these
work, so the tests never see them. `DeviceLint` runs the engine on the CPU and follows,
for every tensor, where it would live on a GPU run:

- host: made by `from_numpy`, `torch.tensor`, `.cpu()`, `.to("cpu")`, or a factory call
  without a `device` argument (or with the string "cpu");
- device: made by a factory call given a device object (`device=x.device`,
  `device=generator.device`), by `.to(device)`, or computed from a device tensor.

It records an operation that takes both a device tensor and a host tensor that is not a
0-dim scalar (PyTorch moves those itself; a 1-element tensor of shape (1,) it does not),
except indexing by host indices (host tensors indexed by device ones are recorded); a
generator made without a device drawing device tensors or the reverse; `.numpy()` or
`np.asarray` on a device tensor; and operations whose CUDA kernels are nondeterministic
(`index_add_`, `scatter_add_`, ...) on a device tensor. Tensors made before the lint started carry no mark and are not judged.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch.overrides import TorchFunctionMode

HOST, DEVICE = "host", "device"
_ATTR = "_lint_where"

# Factory functions: where their output lives is decided by the `device` argument.
_FACTORIES = {
    torch.tensor, torch.as_tensor, torch.zeros, torch.ones, torch.empty, torch.full,
    torch.arange, torch.linspace, torch.logspace, torch.eye, torch.rand, torch.randn,
    torch.randint, torch.randperm, torch.normal, torch.empty_strided,
}
_HOST_MAKERS = {torch.Tensor.cpu, torch.Tensor.numpy, torch.Tensor.__array__}
# Operations whose CUDA kernels add with atomics (or sum in an order that varies): on a
# device tensor they break "same seed, same frames" on a GPU, where on the CPU they are exact.
_NONDETERMINISTIC = {"index_add", "index_add_", "scatter_add", "scatter_add_", "scatter_reduce",
                     "scatter_reduce_", "put_", "histc", "index_copy", "index_copy_"}


def _where_of_device_arg(device: object) -> str:
    # The engine names the run's device by an object taken from a tensor, a generator or
    # pick_device(); a literal "cpu" is host memory whatever the run's device.
    if isinstance(device, str):
        return HOST if device.startswith("cpu") else DEVICE
    return DEVICE


def _tensors(obj: object) -> Iterator[torch.Tensor]:
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors(o)


def _mark(obj: object, where: str) -> None:
    for t in _tensors(obj):
        try:
            setattr(t, _ATTR, where)
        except (AttributeError, RuntimeError):
            pass


def _where(t: torch.Tensor) -> str | None:
    return getattr(t, _ATTR, None)


class _TrackedGenerator:
    """Stands in for torch.Generator while the lint runs: remembers whether the generator
    was made for a device, and is a real generator for every call that takes one."""

    made: dict[int, tuple[torch.Generator, str]] = {}  # the generator too: its id stays its own

    def __new__(cls, device: object = None):
        where = HOST if device is None else _where_of_device_arg(device)
        # A host generator's `.device` reads "cpu", so that `device=generator.device` draws
        # count as host tensors (a device object would stand for the run's device).
        gen = _HostGenerator() if where == HOST else _REAL_GENERATOR(device=device)
        cls.made[id(gen)] = (gen, where)
        return gen

    @classmethod
    def where(cls, gen: object) -> str | None:
        entry = cls.made.get(id(gen))
        return entry[1] if entry is not None else None


_REAL_GENERATOR = torch.Generator


class _HostGenerator(_REAL_GENERATOR):  # type: ignore[misc,valid-type]
    """A real CPU generator whose `.device` is the string "cpu" (see _TrackedGenerator)."""

    @property
    def device(self) -> str:  # type: ignore[override]
        return "cpu"


_REAL_FROM_NUMPY = torch.from_numpy


def _from_numpy(array: object) -> torch.Tensor:
    # from_numpy takes no tensor, so no TorchFunctionMode sees it: wrapped instead.
    out = _REAL_FROM_NUMPY(array)
    _mark(out, HOST)
    return out


class DeviceLint(TorchFunctionMode):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def _report(self, what: str) -> None:
        stack = [f for f in traceback.extract_stack() if "/engine/" in f.filename]
        where = f"{stack[-1].filename.split('/engine/')[-1]}:{stack[-1].lineno}" if stack else "?"
        entry = f"{where}: {what}"
        if entry not in self.problems:
            self.problems.append(entry)

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        name = getattr(func, "__qualname__", getattr(func, "__name__", str(func)))

        if func in _HOST_MAKERS:
            if func is not torch.Tensor.cpu and args and _where(args[0]) == DEVICE:
                self._report("numpy() of a device tensor (needs .cpu() first)")
            if out is args[0] and _where(out) == DEVICE:
                out = out.clone()  # on a GPU, .cpu() copies
            _mark(out, HOST)
            return out

        gen = kwargs.get("generator")
        if func in _FACTORIES:
            where = HOST if kwargs.get("device") is None else _where_of_device_arg(kwargs["device"])
            if gen is not None:
                made = _TrackedGenerator.where(gen)
                if made is not None and made != where:
                    self._report(f"{name}: a {made} generator draws a {where} tensor")
            if not any(t is out for t in _tensors(args)):  # as_tensor may hand its input back
                _mark(out, where)
            return out

        if name.endswith(".cuda"):
            _mark(out, DEVICE)
            return out

        if func is torch.Tensor.to:
            target = next((a for a in list(args[1:]) + [kwargs.get("device")]
                           if isinstance(a, (str, torch.device, torch.Tensor))), None)
            if isinstance(target, torch.Tensor):
                where = _where(target)
            elif target is not None:
                where = _where_of_device_arg(target)
            else:  # a dtype change stays where it was
                where = _where(args[0])
            if where is not None:
                if out is args[0] and where != _where(out):
                    out = out.clone()  # on a GPU this is a copy, with a mark of its own
                _mark(out, where)
            return out

        inputs = list(_tensors(args)) + list(_tensors(kwargs))
        short = getattr(func, "__name__", "")
        if any(_where(t) == DEVICE for t in inputs) and (
                short in _NONDETERMINISTIC
                or (short in ("index_put", "index_put_")
                    and kwargs.get("accumulate", len(args) > 3 and args[3]))
                or (short == "bincount" and (kwargs.get("weights") is not None
                                            or (len(args) > 1 and args[1] is not None)))):
            self._report(f"{name} on a device tensor: nondeterministic on CUDA")
        # A host tensor indexed by device indices fails on CUDA (the reverse is copied over).
        if name.endswith("__getitem__") and _where(args[0]) == HOST and any(
                _where(i) == DEVICE and i.dim() > 0 for i in _tensors(args[1:])):
            self._report(f"{name}: a host tensor indexed by device indices")
        # Indexing accepts host index tensors on a device tensor (PyTorch copies them
        # over); the tensor and the values written must agree.
        if name.endswith("__getitem__"):
            inputs = inputs[:1]
        elif name.endswith("__setitem__"):
            inputs = [args[0], *_tensors(args[2:])]
        marks = {_where(t) for t in inputs if t.dim() > 0}
        if HOST in marks and DEVICE in marks:
            self._report(f"{name} mixes device and host tensors")
        all_marks = {_where(t) for t in inputs} - {None}
        if gen is not None and DEVICE in all_marks and _TrackedGenerator.where(gen) == HOST:
            self._report(f"{name}: a host generator draws on a device tensor")
        if DEVICE in all_marks:
            _mark(out, DEVICE)
        elif HOST in all_marks:
            _mark(out, HOST)
        return out


@contextmanager
def device_lint() -> Iterator[DeviceLint]:
    """`with device_lint() as lint: ...` then `lint.problems` lists what would fail on CUDA."""
    lint = DeviceLint()
    torch.Generator = _TrackedGenerator  # type: ignore[misc]
    torch.from_numpy = _from_numpy
    try:
        with lint:
            yield lint
    finally:
        torch.Generator = _REAL_GENERATOR  # type: ignore[misc]
        torch.from_numpy = _REAL_FROM_NUMPY
        _TrackedGenerator.made.clear()
