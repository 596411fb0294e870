"""Correct: a loop over the kernel's (di, dj) offsets; each adds one strided slice @ filters[di, dj]."""
import numpy as np


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return -(-in_size // stride)
    if padding == "VALID":
        return max(0, -(-(in_size - filter_size + 1) // stride))
    if type(padding) is int and padding >= 0:
        padded = in_size + 2 * padding
        return 0 if padded < filter_size else (padded - filter_size) // stride + 1
    raise ValueError("padding must be 'SAME', 'VALID' or a non-negative int")


def _pair(strides):
    if np.ndim(strides) == 0:
        return int(strides), int(strides)
    strides = [int(s) for s in strides]
    return (strides[0], strides[0]) if len(strides) == 1 else (strides[-2], strides[-1]) if len(strides) == 2 \
        else (strides[1], strides[2])


def conv2d(inputs, filters, strides, padding):
    inputs = np.asarray(inputs, dtype=np.float32)
    filters = np.asarray(filters, dtype=np.float32)
    sh, sw = _pair(strides)
    n, h, w, c = inputs.shape
    kh, kw, _, k = filters.shape
    if padding == "SAME":
        oh, ow = conv_output_size(h, kh, sh, "SAME"), conv_output_size(w, kw, sw, "SAME")
        th, tw = max(0, (oh - 1) * sh + kh - h), max(0, (ow - 1) * sw + kw - w)
        pad = ((0, 0), (th // 2, th - th // 2), (tw // 2, tw - tw // 2), (0, 0))
    elif padding == "VALID":
        pad = ((0, 0),) * 4
    else:
        pad = tuple(tuple(p) for p in padding)
    x = np.pad(inputs, pad, mode="constant")
    oh = max(0, (x.shape[1] - kh) // sh + 1)
    ow = max(0, (x.shape[2] - kw) // sw + 1)
    out = np.zeros((n, oh, ow, k), np.float32)
    if oh == 0 or ow == 0:
        return out
    for di in range(kh):
        for dj in range(kw):
            window = x[:, di:di + (oh - 1) * sh + 1:sh, dj:dj + (ow - 1) * sw + 1:sw, :]
            out += window @ filters[di, dj]
    return out
