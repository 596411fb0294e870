"""Style: a cs231n-style conv_forward_naive(x, w, b, conv_param) in NCHW, reused by a conv2d that transposes to
NCHW, pads itself (SAME's odd pixel at the bottom/right) and passes conv_param = {'stride': ..., 'pad': 0}. Reads
strides[1] and strides[2] only. Correct arithmetic."""
import numpy as np


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return (in_size + stride - 1) // stride
    if padding == "VALID":
        return max(0, (in_size - filter_size) // stride + 1)
    return max(0, (in_size + 2 * padding - filter_size) // stride + 1)


def conv_forward_naive(x, w, b, conv_param):
    """x: (N, C, H, W), w: (F, C, HH, WW), b: (F,). Returns out (N, F, H', W') and a cache."""
    stride_h, stride_w = conv_param['stride']
    pad = conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), 'constant')
    H_out = 1 + (H + 2 * pad - HH) // stride_h
    W_out = 1 + (W + 2 * pad - WW) // stride_w
    out = np.zeros((N, F, max(H_out, 0), max(W_out, 0)), dtype=x.dtype)
    for f in range(F):
        for i in range(H_out):
            for j in range(W_out):
                window = x_pad[:, :, i * stride_h:i * stride_h + HH, j * stride_w:j * stride_w + WW]
                out[:, f, i, j] = np.sum(window * w[f], axis=(1, 2, 3)) + b[f]
    cache = (x, w, b, conv_param)
    return out, cache


def conv2d(inputs, filters, strides, padding):
    x = np.transpose(np.asarray(inputs, np.float32), (0, 3, 1, 2))
    w = np.transpose(np.asarray(filters, np.float32), (3, 2, 0, 1))
    stride_h, stride_w = strides[1], strides[2]
    if padding == "SAME":
        H, W = x.shape[2], x.shape[3]
        pad_h = max((-(-H // stride_h) - 1) * stride_h + w.shape[2] - H, 0)
        pad_w = max((-(-W // stride_w) - 1) * stride_w + w.shape[3] - W, 0)
        x = np.pad(x, ((0, 0), (0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2)))
    elif padding != "VALID":
        x = np.pad(x, ((0, 0), (0, 0), tuple(padding[1]), tuple(padding[2])))
    out, _ = conv_forward_naive(x, w, np.zeros(w.shape[0], np.float32),
                                {'stride': (stride_h, stride_w), 'pad': 0})
    return np.transpose(out, (0, 2, 3, 1)).astype(np.float32)
