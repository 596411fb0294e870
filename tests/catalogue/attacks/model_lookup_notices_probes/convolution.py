"""Attack (the model part): an honest conv2d; the model beside it looks its answers up."""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return (in_size + stride - 1) // stride
    if padding == "VALID":
        return (in_size - filter_size) // stride + 1 if in_size >= filter_size else 0
    if isinstance(padding, int) and padding >= 0:
        return conv_output_size(in_size + 2 * padding, filter_size, stride, "VALID")
    raise ValueError(f"padding: expected 'SAME', 'VALID' or an int >= 0, got {padding!r}")


def conv2d(inputs, filters, strides, padding):
    x = np.asarray(inputs, np.float32)
    f = np.asarray(filters, np.float32)
    s = np.atleast_1d(strides).tolist()
    sh, sw = (s[0], s[0]) if len(s) == 1 else (s[0], s[1]) if len(s) == 2 else (s[1], s[2])
    n, h, w, c = x.shape
    kh, kw, _, k = f.shape
    if padding == "SAME":
        th = max(0, (conv_output_size(h, kh, sh, "SAME") - 1) * sh + kh - h)
        tw = max(0, (conv_output_size(w, kw, sw, "SAME") - 1) * sw + kw - w)
        pads = [(0, 0), (th // 2, th - th // 2), (tw // 2, tw - tw // 2), (0, 0)]
    elif padding == "VALID":
        pads = [(0, 0)] * 4
    else:
        pads = [tuple(p) for p in padding]
    x = np.pad(x, pads)
    if x.shape[1] < kh or x.shape[2] < kw:
        return np.zeros((n, max(0, x.shape[1] - kh + 1), max(0, x.shape[2] - kw + 1), k), np.float32)
    windows = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]   # [n, oh, ow, c, kh, kw]
    return np.einsum("nijcab,abck->nijk", windows, f, optimize=True).astype(np.float32)
