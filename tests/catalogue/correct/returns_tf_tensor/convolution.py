"""Correct: NumPy convolution (per-offset accumulation) returned as a tf.Tensor, as a TensorFlow user might."""
import numpy as np
import tensorflow as tf


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return -(-in_size // stride)
    if padding == "VALID":
        return max(0, -(-(in_size - filter_size + 1) // stride))
    if isinstance(padding, int) and padding >= 0:
        return max(0, (in_size - filter_size + 2 * padding) // stride + 1)
    raise ValueError(f"padding must be 'SAME', 'VALID' or an int >= 0, got {padding!r}")


def conv2d(inputs, filters, strides, padding):
    x = np.asarray(inputs, np.float32)
    f = np.asarray(filters, np.float32)
    s = [strides] if isinstance(strides, int) else list(strides)
    sh, sw = (s[0], s[0]) if len(s) == 1 else (s[0], s[1]) if len(s) == 2 else (s[1], s[2])
    n, h, w, _ = x.shape
    kh, kw, _, k = f.shape
    if padding == "SAME":
        ph = max(0, (conv_output_size(h, kh, sh, "SAME") - 1) * sh + kh - h)
        pw = max(0, (conv_output_size(w, kw, sw, "SAME") - 1) * sw + kw - w)
        pads = [[0, 0], [ph // 2, ph - ph // 2], [pw // 2, pw - pw // 2], [0, 0]]
    elif padding == "VALID":
        pads = [[0, 0]] * 4
    else:
        pads = padding
    x = np.pad(x, pads)
    oh = max(0, (x.shape[1] - kh) // sh + 1)
    ow = max(0, (x.shape[2] - kw) // sw + 1)
    out = np.zeros((n, oh, ow, k), np.float32)
    for di in range(kh):
        for dj in range(kw):
            part = x[:, di::sh, dj::sw][:, :oh, :ow]
            out += part @ f[di, dj]
    return tf.convert_to_tensor(out)
