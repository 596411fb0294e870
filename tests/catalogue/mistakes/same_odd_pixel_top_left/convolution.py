"""Mistake: SAME's total padding is right, but the odd extra zero goes at the top/left (ceil first, as some
textbooks draw it)."""
import math

import numpy as np


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return math.ceil(in_size / stride)
    if padding == "VALID":
        return max(0, math.ceil((in_size - filter_size + 1) / stride))
    return max(0, (in_size - filter_size + 2 * padding) // stride + 1)


def conv2d(inputs, filters, strides, padding):
    x = np.asarray(inputs, dtype=np.float32)
    w = np.asarray(filters, dtype=np.float32)
    if isinstance(strides, int):
        strides = [strides]
    strides = list(strides)
    s_h, s_w = {1: (strides[0], strides[0]), 2: (strides[0], strides[1]), 4: (strides[1], strides[2])}[len(strides)]
    k_h, k_w = w.shape[0], w.shape[1]
    if padding == "SAME":
        out_h, out_w = math.ceil(x.shape[1] / s_h), math.ceil(x.shape[2] / s_w)
        total_h = max(0, (out_h - 1) * s_h + k_h - x.shape[1])
        total_w = max(0, (out_w - 1) * s_w + k_w - x.shape[2])
        top, left = math.ceil(total_h / 2), math.ceil(total_w / 2)        # the extra zero before, not after
        x = np.pad(x, ((0, 0), (top, total_h - top), (left, total_w - left), (0, 0)))
    elif padding != "VALID":
        x = np.pad(x, [tuple(pair) for pair in padding])
    out_h = max(0, (x.shape[1] - k_h) // s_h + 1)
    out_w = max(0, (x.shape[2] - k_w) // s_w + 1)
    result = np.zeros((x.shape[0], out_h, out_w, w.shape[3]), dtype=np.float32)
    for row in range(out_h):
        for col in range(out_w):
            patch = x[:, row * s_h:row * s_h + k_h, col * s_w:col * s_w + k_w, :]
            result[:, row, col, :] = np.einsum("bhwc,hwco->bo", patch, w)
    return result
