import math

import numpy as np


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return math.ceil(in_size / stride)
    if padding == "VALID":
        return max(0, math.ceil((in_size - filter_size + 1) / stride))
    if isinstance(padding, int) and padding >= 0:
        return max(0, (in_size - filter_size + 2 * padding) // stride + 1)
    raise ValueError(f"padding must be 'SAME', 'VALID' or an int >= 0, got {padding!r}")


def conv2d(inputs, filters, strides, padding):
    inputs = np.asarray(inputs, dtype=np.float32)
    filters = np.asarray(filters, dtype=np.float32)
    if inputs.ndim != 4 or filters.ndim != 4:
        raise ValueError("inputs and filters must be 4-dimensional")
    if inputs.shape[3] != filters.shape[2]:
        raise ValueError("input channels do not match the filters")
    if isinstance(strides, int):
        strides = [strides]
    strides = list(strides)
    if len(strides) == 4:
        strides = strides[1:3]
    elif len(strides) == 1:
        strides = strides * 2
    elif len(strides) != 2:
        raise ValueError("bad strides")
    sh, sw = strides
    n, h, w, c = inputs.shape
    fh, fw, _, out_c = filters.shape

    if padding == "SAME":
        out_h, out_w = math.ceil(h / sh), math.ceil(w / sw)
        pad_h = max(0, (out_h - 1) * sh + fh - h)
        pad_w = max(0, (out_w - 1) * sw + fw - w)
        pads = [[0, 0], [pad_h // 2, pad_h - pad_h // 2], [pad_w // 2, pad_w - pad_w // 2], [0, 0]]
    elif padding == "VALID":
        pads = [[0, 0], [0, 0], [0, 0], [0, 0]]
    elif isinstance(padding, (list, tuple)):
        pads = [list(p) for p in padding]
    else:
        raise ValueError("bad padding")
    x = np.pad(inputs, pads)
    out_h = max(0, (x.shape[1] - fh) // sh + 1)
    out_w = max(0, (x.shape[2] - fw) // sw + 1)

    out = np.zeros((n, out_h, out_w, out_c), dtype=np.float32)
    for b in range(n):
        for i in range(out_h):
            for j in range(out_w):
                for k in range(out_c):
                    out[b, i, j, k] = np.sum(x[b, i * sh:i * sh + fh, j * sw:j * sw + fw, :] * filters[:, :, :, k])
    return out
