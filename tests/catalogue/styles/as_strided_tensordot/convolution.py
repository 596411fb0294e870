"""Style: im2col through np.lib.stride_tricks.as_strided (strides computed from x.strides) and one np.tensordot;
strides as an int or a list. Correct and fast."""
import numpy as np


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return (in_size + stride - 1) // stride
    if padding == "VALID":
        return (in_size - filter_size) // stride + 1 if in_size >= filter_size else 0
    return max(0, (in_size + 2 * padding - filter_size) // stride + 1)


def conv2d(inputs, filters, strides, padding):
    x = np.ascontiguousarray(inputs, dtype=np.float32)
    w = np.asarray(filters, dtype=np.float32)
    if isinstance(strides, int):
        sh = sw = strides
    else:
        sh, sw = (strides[1], strides[2]) if len(strides) == 4 else (strides[0], strides[-1])
    kh, kw, _, kout = w.shape
    if padding == "SAME":
        ph = max(((x.shape[1] + sh - 1) // sh - 1) * sh + kh - x.shape[1], 0)
        pw = max(((x.shape[2] + sw - 1) // sw - 1) * sw + kw - x.shape[2], 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    elif padding != "VALID":
        x = np.pad(x, [tuple(p) for p in padding])
    n, h, wd, c = x.shape
    oh, ow = (h - kh) // sh + 1 if h >= kh else 0, (wd - kw) // sw + 1 if wd >= kw else 0
    if oh == 0 or ow == 0:
        return np.zeros((n, oh, ow, kout), np.float32)
    s0, s1, s2, s3 = x.strides
    cols = np.lib.stride_tricks.as_strided(x, shape=(n, oh, ow, kh, kw, c),
                                           strides=(s0, s1 * sh, s2 * sw, s1, s2, s3))
    return np.tensordot(cols, w, axes=([3, 4, 5], [0, 1, 2])).astype(np.float32)
