"""Style: Correct, but the output is left in float64 (np.zeros without a dtype)."""
import numpy as np
import tensorflow as tf


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return -(-in_size // stride)
    if padding == "VALID":
        return max(0, -(-(in_size - filter_size + 1) // stride))
    if isinstance(padding, int) and padding >= 0:
        return max(0, (in_size - filter_size + 2 * padding) // stride + 1)
    raise ValueError("padding must be 'SAME', 'VALID' or an int >= 0")

def same_pads(size, k, s):
    out = -(-size // s)
    total = max(0, (out - 1) * s + k - size)
    return total // 2, total - total // 2


def pad_input(x, kh, kw, sh, sw, padding):
    if padding == "SAME":
        return np.pad(x, [(0, 0), same_pads(x.shape[1], kh, sh), same_pads(x.shape[2], kw, sw), (0, 0)])
    if padding == "VALID":
        return x
    return np.pad(x, [tuple(p) for p in padding])


def conv2d(inputs, filters, strides, padding):
    x = np.asarray(inputs)
    f = np.asarray(filters)
    sh, sw = strides[1], strides[2]
    kh, kw, _, k = f.shape
    x = pad_input(x, kh, kw, sh, sw, padding)
    n, ph, pw, c = x.shape
    oh = max(0, (ph - kh) // sh + 1)
    ow = max(0, (pw - kw) // sw + 1)
    out = np.zeros((n, oh, ow, k))
    for i in range(oh):
        for j in range(ow):
            window = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
            out[:, i, j, :] = np.tensordot(window, f, axes=([1, 2, 3], [0, 1, 2]))
    return out
