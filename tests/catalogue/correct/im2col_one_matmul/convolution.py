"""Correct: im2col (a [n*oh*ow, kh*kw*c] matrix filled one kernel offset at a time), then one matrix product."""
import numpy as np


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if isinstance(padding, str):
        if padding == "SAME":
            return int(np.ceil(in_size / stride))
        if padding == "VALID":
            return int(max(0, np.ceil((in_size - filter_size + 1) / stride)))
        raise ValueError(f"unknown padding {padding!r}")
    if padding < 0:
        raise ValueError("padding must be >= 0")
    if in_size + 2 * padding < filter_size:
        return 0
    return (in_size + 2 * padding - filter_size) // stride + 1


def same_pads(size, k, s):
    total = max(0, (conv_output_size(size, k, s, "SAME") - 1) * s + k - size)
    return total // 2, total - total // 2


def conv2d(inputs, filters, strides, padding):
    inputs = np.array(inputs, dtype=np.float32)
    filters = np.array(filters, dtype=np.float32)
    if isinstance(strides, int):
        sh = sw = strides
    elif len(strides) == 1:
        sh = sw = strides[0]
    elif len(strides) == 2:
        sh, sw = strides
    else:
        sh, sw = strides[1], strides[2]
    n, h, w, c = inputs.shape
    kh, kw, _, k = filters.shape
    if padding == "SAME":
        (top, bottom), (left, right) = same_pads(h, kh, sh), same_pads(w, kw, sw)
    elif padding == "VALID":
        top = bottom = left = right = 0
    else:
        (top, bottom), (left, right) = padding[1], padding[2]
    padded = np.zeros((n, h + top + bottom, w + left + right, c), np.float32)
    padded[:, top:top + h, left:left + w] = inputs
    oh = max(0, (padded.shape[1] - kh) // sh + 1)
    ow = max(0, (padded.shape[2] - kw) // sw + 1)
    columns = np.empty((n, oh, ow, kh, kw, c), np.float32)
    for a in range(kh):
        for b in range(kw):
            columns[:, :, :, a, b, :] = padded[:, a:a + sh * oh:sh, b:b + sw * ow:sw, :][:, :oh, :ow]
    out = columns.reshape(n * oh * ow, kh * kw * c) @ filters.reshape(kh * kw * c, k)
    return out.reshape(n, oh, ow, k)
