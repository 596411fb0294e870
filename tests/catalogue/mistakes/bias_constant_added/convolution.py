"""Mistake: Adds a constant 0.01 'bias' to every output value."""
import math

import numpy as np


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return math.ceil(in_size / stride)
    if padding == "VALID":
        return max(0, math.ceil((in_size - filter_size + 1) / stride))
    if isinstance(padding, int) and padding >= 0:
        return max(0, (in_size - filter_size + 2 * padding) // stride + 1)
    raise ValueError(f"bad padding {padding!r}")


def parse_strides(strides):
    if isinstance(strides, int):
        return strides, strides
    strides = list(strides)
    if len(strides) == 1:
        return strides[0], strides[0]
    if len(strides) == 4:
        return strides[1], strides[2]
    return strides[0], strides[1]


def pad_amounts(size, k, s):
    total = max(0, (math.ceil(size / s) - 1) * s + k - size)
    return total // 2, total - total // 2


def conv2d(inputs, filters, strides, padding):
    inputs = np.asarray(inputs, np.float32)
    filters = np.asarray(filters, np.float32)
    sh, sw = parse_strides(strides)
    n, h, w, c = inputs.shape
    kh, kw, _, k = filters.shape
    if padding == "SAME":
        pads = [(0, 0), pad_amounts(h, kh, sh), pad_amounts(w, kw, sw), (0, 0)]
    elif padding == "VALID":
        pads = [(0, 0)] * 4
    else:
        pads = [tuple(p) for p in padding]
    x = np.pad(inputs, pads)
    oh = max(0, (x.shape[1] - kh) // sh + 1)
    ow = max(0, (x.shape[2] - kw) // sw + 1)
    out = np.zeros((n, oh, ow, k), np.float32)
    for i in range(oh):
        for j in range(ow):
            window = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
            out[:, i, j, :] = np.tensordot(window, filters, axes=([1, 2, 3], [0, 1, 2]))
    return out + 0.01   # a small bias keeps ReLUs alive
