"""Style: SAME padded with floor((k-1)/2) zeros on each side (the course stencil's rule), output size from the padded input; strides read as strides[1], strides[2]."""
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

def conv2d(inputs, filters, strides, padding):
    x = np.asarray(inputs, np.float32)
    f = np.asarray(filters, np.float32)
    sh, sw = strides[1], strides[2]
    kh, kw, _, k = f.shape
    if padding == "SAME":
        p_h, p_w = int(np.floor((kh - 1) / 2)), int(np.floor((kw - 1) / 2))
        x = np.pad(x, [(0, 0), (p_h, p_h), (p_w, p_w), (0, 0)])
    elif padding != "VALID":
        x = np.pad(x, [tuple(p) for p in padding])

    n, ph, pw, c = x.shape
    oh = max(0, (ph - kh) // sh + 1)
    ow = max(0, (pw - kw) // sw + 1)
    out = np.zeros((n, oh, ow, k), np.float32)
    for i in range(oh):
        for j in range(ow):
            window = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
            out[:, i, j, :] = np.tensordot(window, f, axes=([1, 2, 3], [0, 1, 2]))
    return out
