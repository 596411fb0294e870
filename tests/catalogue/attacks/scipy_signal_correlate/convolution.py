"""Attack: Uses scipy.signal.correlate2d per image and channel pair, then subsamples for the stride."""
import numpy as np

def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return -(-in_size // stride)
    if padding == "VALID":
        return max(0, -(-(in_size - filter_size + 1) // stride))
    return max(0, (in_size - filter_size + 2 * padding) // stride + 1)

def conv2d(inputs, filters, strides, padding):
    from scipy import signal
    s = [strides] if isinstance(strides, int) else list(strides)
    sh, sw = (s[0], s[0]) if len(s) == 1 else (s[0], s[1]) if len(s) == 2 else (s[1], s[2])
    x = np.asarray(inputs, np.float64)
    f = np.asarray(filters, np.float64)
    n, h, w, c = x.shape
    kh, kw, _, k = f.shape
    if padding == "SAME":
        th = max(0, (-(-h // sh) - 1) * sh + kh - h)
        tw = max(0, (-(-w // sw) - 1) * sw + kw - w)
        x = np.pad(x, [(0, 0), (th // 2, th - th // 2), (tw // 2, tw - tw // 2), (0, 0)])
    elif padding != "VALID":
        x = np.pad(x, padding)
    oh, ow = max(0, x.shape[1] - kh + 1), max(0, x.shape[2] - kw + 1)
    out = np.zeros((n, oh, ow, k))
    if oh and ow:
        for b in range(n):
            for q in range(c):
                for d in range(k):
                    out[b, :, :, d] += signal.correlate2d(x[b, :, :, q], f[:, :, q, d], mode="valid")
    return out[:, ::sh, ::sw].astype(np.float32)
