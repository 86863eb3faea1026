"""Choosing the compute device and naming it for users."""

from __future__ import annotations

import torch

from engine.errors import InputError


def pick_device(name: str = "auto") -> torch.device:
    """"auto" -> CUDA when available, else CPU; "cuda" without a GPU is a clear error."""
    key = (name or "auto").lower()
    if key == "auto":
        if not torch.cuda.is_available():
            return torch.device("cpu")
        exact_convolutions()
        return torch.device("cuda")
    if key.startswith("cuda"):
        index = key[5:] if key.startswith("cuda:") else ""
        if key != "cuda" and not index.isdigit():
            raise InputError(f"unknown device {name!r}: use auto, cpu, cuda or cuda:N")
        if not torch.cuda.is_available():
            raise InputError(f"--device {key}: no CUDA GPU is available on this machine (use --device cpu)")
        count = torch.cuda.device_count()
        if index and int(index) >= count:
            raise InputError(f"--device {key}: this machine has {count} CUDA GPU"
                             f"{'s' if count != 1 else ''} (cuda:0 to cuda:{count - 1})")
        exact_convolutions()
        return torch.device(key)
    if key == "cpu":
        return torch.device("cpu")
    raise InputError(f"unknown device {name!r}: use auto, cpu, cuda or cuda:N")


def exact_convolutions() -> None:
    """Full float32 in cuDNN's convolutions, as on the CPU. PyTorch lets cuDNN use TF32 (a
    10-bit mantissa) by default; the patch distances of the realism score and the metrics
    are |k|^2 - 2 k.q + |q|^2 with |k|^2 near 37, where TF32's error (about 0.02) is the size
    of a good match's whole distance, and the descriptors lose the same digits. The cost is
    small: those convolutions are a few GFLOP per level."""
    # (The older switch: PyTorch 2.13's newer per-operator one leaves the older one raising
    # a RuntimeError when read, which torch.backends.cudnn.flags() does.)
    torch.backends.cudnn.allow_tf32 = False
    # One deterministic algorithm per shape: left free, cuDNN picks by heuristics among
    # algorithms whose workspace fits the memory free, so a seed's frames could depend on
    # what else held the GPU (its Conv3d is listed as nondeterministic). Not PyTorch's
    # use_deterministic_algorithms: torch.median with indices raises under it on CUDA.
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


def device_label(device: torch.device | str) -> str:
    """"CPU" or the GPU's name, for the UI and reports."""
    dev = pick_device(device) if isinstance(device, str) else device
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    return "CPU"
