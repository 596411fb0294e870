"""Mistake: SAME pads max(k - s, 0) zeros in all (right only when the stride divides the input size), split as
TensorFlow splits it."""
import numpy as np


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return -(-in_size // stride)
    if padding == "VALID":
        return max(0, -(-(in_size - filter_size + 1) // stride))
    return max(0, (in_size - filter_size + 2 * padding) // stride + 1)


def _pair(strides):
    if np.isscalar(strides):
        return int(strides), int(strides)
    strides = [int(s) for s in strides]
    if len(strides) == 4:
        return strides[1], strides[2]
    return (strides[0], strides[0]) if len(strides) == 1 else (strides[0], strides[1])


def conv2d(inputs, filters, strides, padding):
    inputs = np.asarray(inputs, np.float32)
    filters = np.asarray(filters, np.float32)
    stride_h, stride_w = _pair(strides)
    kernel_h, kernel_w, _, channels_out = filters.shape
    if padding == "SAME":
        pad_h, pad_w = max(kernel_h - stride_h, 0), max(kernel_w - stride_w, 0)
        pads = [(0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)]
    elif padding == "VALID":
        pads = [(0, 0)] * 4
    else:
        pads = [tuple(p) for p in padding]
    padded = np.pad(inputs, pads)
    out_h = max(0, (padded.shape[1] - kernel_h) // stride_h + 1)
    out_w = max(0, (padded.shape[2] - kernel_w) // stride_w + 1)
    flat = filters.reshape(-1, channels_out)
    out = np.empty((inputs.shape[0], out_h, out_w, channels_out), np.float32)
    for i in range(out_h):
        for j in range(out_w):
            window = padded[:, i * stride_h:i * stride_h + kernel_h, j * stride_w:j * stride_w + kernel_w, :]
            out[:, i, j, :] = window.reshape(inputs.shape[0], -1) @ flat
    return out
