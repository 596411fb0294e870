"""Style: NCHW code behind tf.transpose (the student thinks in channels-first), then back to NHWC with .numpy().
TensorFlow array helpers next to NumPy loops. Correct."""
import numpy as np
import tensorflow as tf


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return int(np.ceil(in_size / stride))
    if padding == "VALID":
        return int(np.ceil((in_size - filter_size + 1) / stride)) if in_size >= filter_size else 0
    return max(0, (in_size - filter_size + 2 * padding) // stride + 1)


def _pair(strides):
    if isinstance(strides, (int, np.integer)):
        return int(strides), int(strides)
    strides = list(strides)
    if len(strides) == 4:
        return int(strides[1]), int(strides[2])
    return (int(strides[0]), int(strides[-1]))


def conv2d(inputs, filters, strides, padding):
    x = tf.transpose(tf.convert_to_tensor(inputs, dtype=tf.float32), [0, 3, 1, 2]).numpy()   # N, C, H, W
    k = tf.transpose(tf.convert_to_tensor(filters, dtype=tf.float32), [3, 2, 0, 1]).numpy()  # F, C, KH, KW
    sh, sw = _pair(strides)
    n, c, h, w = x.shape
    f, _, kh, kw = k.shape
    if padding == "SAME":
        ph = max((-(-h // sh) - 1) * sh + kh - h, 0)
        pw = max((-(-w // sw) - 1) * sw + kw - w, 0)
        pads = [(0, 0), (0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)]
    elif padding == "VALID":
        pads = [(0, 0)] * 4
    else:
        pads = [(0, 0), (0, 0), tuple(padding[1]), tuple(padding[2])]
    x = np.pad(x, pads)
    oh = (x.shape[2] - kh) // sh + 1
    ow = (x.shape[3] - kw) // sw + 1
    out = np.zeros((n, f, max(oh, 0), max(ow, 0)), np.float32)
    for r in range(out.shape[2]):
        for s in range(out.shape[3]):
            window = x[:, :, r * sh:r * sh + kh, s * sw:s * sw + kw]
            out[:, :, r, s] = np.einsum("nchw,fchw->nf", window, k)
    return tf.transpose(out, [0, 2, 3, 1]).numpy()
