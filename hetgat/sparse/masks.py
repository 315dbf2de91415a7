"""Random dropout masks, drawn fast from torch's generator (on any device)."""

from __future__ import annotations

import torch


def dropout_mask(shape, p: float, device=None) -> torch.Tensor:
    """A boolean keep-mask with ``P(keep) = 1 - p`` (to within 2^-15), from torch's generator.

    Draws 31 random bits per two entries (``random_`` on int32) and compares 16- and 15-bit
    halves with the threshold: several times faster than ``bernoulli_`` on CPU.
    """
    n = 1
    for s in shape:
        n *= s
    bits = torch.empty((n + 1) // 2, dtype=torch.int32, device=device).random_()
    bits = bits.view(torch.int16).view(-1, 2)
    # low half: 16 uniform bits read as int16 in [-32768, 32767]; high half: 15 bits in [0, 32767]
    threshold = _threshold(p, bits.device)
    return (bits >= threshold).view(-1)[:n].view(shape)


_THRESHOLDS: dict = {}


def _threshold(p: float, device) -> torch.Tensor:
    """The two halves' thresholds, made once per ``p`` and device (a new small tensor on a GPU
    is a copy from the host that waits for the device)."""
    key = (p, device)
    if key not in _THRESHOLDS:
        _THRESHOLDS[key] = torch.tensor(
            [-32768 + round(p * 65536), round(p * 32768)], dtype=torch.int16, device=device
        )
    return _THRESHOLDS[key]
