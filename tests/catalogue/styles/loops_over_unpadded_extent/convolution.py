"""Style: Pads SAME correctly and allocates SAME's output, but the loops run over the unpadded input's window positions: the last rows and columns of the output stay zero."""
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
    x = np.asarray(inputs, np.float32)
    f = np.asarray(filters, np.float32)
    sh, sw = strides[1], strides[2]
    n, h, w, c = x.shape
    kh, kw, _, k = f.shape
    if padding == "SAME":
        oh, ow = conv_output_size(h, kh, sh, "SAME"), conv_output_size(w, kw, sw, "SAME")
    elif padding == "VALID":
        oh, ow = conv_output_size(h, kh, sh, "VALID"), conv_output_size(w, kw, sw, "VALID")
    else:
        oh = conv_output_size(h + sum(padding[1]), kh, sh, "VALID")
        ow = conv_output_size(w + sum(padding[2]), kw, sw, "VALID")
    padded = pad_input(x, kh, kw, sh, sw, padding)
    out = np.zeros((n, oh, ow, k), np.float32)
    for i in range(0, h - kh + 1, sh):
        for j in range(0, w - kw + 1, sw):
            window = padded[:, i:i + kh, j:j + kw, :]
            out[:, i // sh, j // sw, :] = np.tensordot(window, f, axes=([1, 2, 3], [0, 1, 2]))
    return out
