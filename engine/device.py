"""Choosing the compute device and naming it for users."""

from __future__ import annotations

import torch

from engine.errors import InputError


def pick_device(name: str = "auto") -> torch.device:
    """"auto" -> CUDA when available, else CPU; "cuda" without a GPU is a clear error."""
    key = (name or "auto").lower()
    if key == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
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
        return torch.device(key)
    if key == "cpu":
        return torch.device("cpu")
    raise InputError(f"unknown device {name!r}: use auto, cpu or cuda")


def device_label(device: torch.device | str) -> str:
    """"CPU" or the GPU's name, for the UI and reports."""
    dev = pick_device(device) if isinstance(device, str) else device
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    return "CPU"
