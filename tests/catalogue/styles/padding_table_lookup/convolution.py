"""Style: the padding mode chosen from a dict of functions keyed by its name (PADDERS["SAME"]), and the strides
parsed into a namedtuple. Every strides form. Correct."""
from collections import namedtuple

import numpy as np

Strides = namedtuple("Strides", "h w")


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    sizes = {"SAME": lambda: -(-in_size // stride),
             "VALID": lambda: max(0, (in_size - filter_size) // stride + 1)}
    if padding in sizes:
        return sizes[padding]()
    return max(0, (in_size + 2 * padding - filter_size) // stride + 1)


def parse_strides(strides):
    if isinstance(strides, int):
        return Strides(strides, strides)
    values = [int(v) for v in strides]
    return {1: lambda: Strides(values[0], values[0]), 2: lambda: Strides(values[0], values[1]),
            4: lambda: Strides(values[1], values[2])}[len(values)]()


def _same(size, kernel, stride):
    total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


PADDERS = {
    "SAME": lambda x, k, s: [(0, 0), _same(x.shape[1], k.shape[0], s.h), _same(x.shape[2], k.shape[1], s.w), (0, 0)],
    "VALID": lambda x, k, s: [(0, 0)] * 4,
}


def conv2d(inputs, filters, strides, padding):
    x, k = np.asarray(inputs, np.float32), np.asarray(filters, np.float32)
    s = parse_strides(strides)
    pads = PADDERS[padding](x, k, s) if isinstance(padding, str) else [tuple(p) for p in padding]
    x = np.pad(x, pads)
    oh, ow = (x.shape[1] - k.shape[0]) // s.h + 1, (x.shape[2] - k.shape[1]) // s.w + 1
    out = np.zeros((x.shape[0], max(oh, 0), max(ow, 0), k.shape[3]), np.float32)
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            out[:, i, j] = np.tensordot(x[:, i * s.h:i * s.h + k.shape[0], j * s.w:j * s.w + k.shape[1]], k, 3)
    return out
