"""Style: Correct arithmetic with tf.reduce_sum for every output value (one TensorFlow op per value: very slow)."""
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
    kh, kw, _, k = f.shape
    x = pad_input(x, kh, kw, sh, sw, padding)
    n, ph, pw, c = x.shape
    oh = max(0, (ph - kh) // sh + 1)
    ow = max(0, (pw - kw) // sw + 1)
    out = np.zeros((n, oh, ow, k), np.float32)
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for out_channel in range(k):
                    window = x[b, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
                    out[b, i, j, out_channel] = tf.reduce_sum(window * f[:, :, :, out_channel]).numpy()
    return out
