"""Style: the student's own single-channel helper named correlate2d (as SciPy's), summed over input channels for
each output channel. Reads strides[1] and strides[2]. Correct; nothing here is SciPy."""
import numpy as np


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return -(-in_size // stride)
    if padding == "VALID":
        return max(0, (in_size - filter_size) // stride + 1)
    return max(0, (in_size + 2 * padding - filter_size) // stride + 1)


def correlate2d(image, kernel, sh, sw):
    """image: (batch, H, W); kernel: (kh, kw). Valid cross-correlation with strides."""
    kh, kw = kernel.shape
    oh = (image.shape[1] - kh) // sh + 1
    ow = (image.shape[2] - kw) // sw + 1
    result = np.zeros((image.shape[0], max(oh, 0), max(ow, 0)), np.float32)
    for a in range(kh):
        for b in range(kw):
            result += kernel[a, b] * image[:, a:a + sh * (oh - 1) + 1:sh, b:b + sw * (ow - 1) + 1:sw] \
                if oh > 0 and ow > 0 else 0
    return result


def conv2d(inputs, filters, strides, padding):
    x = np.asarray(inputs, np.float32)
    k = np.asarray(filters, np.float32)
    sh, sw = strides[1], strides[2]
    kh, kw, cin, cout = k.shape
    if padding == "SAME":
        th = max((-(-x.shape[1] // sh) - 1) * sh + kh - x.shape[1], 0)
        tw = max((-(-x.shape[2] // sw) - 1) * sw + kw - x.shape[2], 0)
        x = np.pad(x, ((0, 0), (th // 2, th - th // 2), (tw // 2, tw - tw // 2), (0, 0)))
    elif padding != "VALID":
        x = np.pad(x, [tuple(p) for p in padding])
    channels_out = []
    for o in range(cout):
        total = sum(correlate2d(x[..., c], k[:, :, c, o], sh, sw) for c in range(cin))
        channels_out.append(total)
    return np.stack(channels_out, axis=-1).astype(np.float32)
