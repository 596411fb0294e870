"""Style: shape checks with tf.debugging.assert_equal / assert_rank on tf.shape(...), then NumPy arithmetic. Reads
strides as an int or a list. Correct."""
import numpy as np
import tensorflow as tf


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return -(-in_size // stride)
    if padding == "VALID":
        return 0 if in_size < filter_size else (in_size - filter_size) // stride + 1
    return max(0, (in_size + 2 * padding - filter_size) // stride + 1)


def conv2d(inputs, filters, strides, padding):
    tf.debugging.assert_rank(inputs, 4, message="inputs must be [batch, height, width, channels]")
    tf.debugging.assert_equal(tf.shape(inputs)[3], tf.shape(filters)[2],
                              message="input channels must match the filters' input channels")
    x = np.asarray(inputs, np.float32)
    k = np.asarray(filters, np.float32)
    if np.ndim(strides) == 0:
        sh = sw = int(strides)
    elif len(strides) == 4:
        sh, sw = strides[1], strides[2]
    else:
        sh, sw = strides[0], strides[-1]
    kh, kw, _, kout = k.shape
    if padding == "SAME":
        th = max((-(-x.shape[1] // sh) - 1) * sh + kh - x.shape[1], 0)
        tw = max((-(-x.shape[2] // sw) - 1) * sw + kw - x.shape[2], 0)
        x = np.pad(x, ((0, 0), (th // 2, th - th // 2), (tw // 2, tw - tw // 2), (0, 0)))
    elif padding != "VALID":
        x = np.pad(x, [tuple(p) for p in padding])
    oh, ow = (x.shape[1] - kh) // sh + 1, (x.shape[2] - kw) // sw + 1
    out = np.zeros((x.shape[0], max(oh, 0), max(ow, 0), kout), np.float32)
    for a in range(kh):
        for b in range(kw):
            patch = x[:, a:a + sh * (oh - 1) + 1:sh, b:b + sw * (ow - 1) + 1:sw, :]
            if oh > 0 and ow > 0:
                out += patch @ k[a, b]
    return out
