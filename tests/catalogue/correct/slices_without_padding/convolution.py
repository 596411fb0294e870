"""Correct without padding anything: for each kernel offset, only the output pixels whose input pixel lies inside
the image receive that offset's contribution (the padding's zeros would add nothing)."""
import numpy as np


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return -(-in_size // stride)
    if padding == "VALID":
        padding = 0
    elif not isinstance(padding, int) or padding < 0:
        raise ValueError(f"padding must be 'SAME', 'VALID' or an int >= 0; got {padding!r}")
    span = in_size + 2 * padding - filter_size
    return span // stride + 1 if span >= 0 else 0


def first_and_count(offset, stride, out_size, in_size):
    """Output indices o with 0 <= o*stride + offset < in_size, as (first o, how many)."""
    first = max(0, -(-(-offset) // stride))
    last = min(out_size - 1, (in_size - 1 - offset) // stride) if in_size - 1 - offset >= 0 else -1
    return first, max(0, last - first + 1)


def conv2d(inputs, filters, strides, padding):
    inputs = np.asarray(inputs)
    filters = np.asarray(filters)
    strides = np.ravel(strides).tolist()
    if len(strides) == 4:
        strides = strides[1:3]
    sh, sw = strides * 2 if len(strides) == 1 else strides
    n, h, w, c = inputs.shape
    kh, kw, _, k = filters.shape
    if padding == "SAME":
        oh, ow = conv_output_size(h, kh, sh, "SAME"), conv_output_size(w, kw, sw, "SAME")
        top = max(0, (oh - 1) * sh + kh - h) // 2
        left = max(0, (ow - 1) * sw + kw - w) // 2
    else:
        (top, bottom), (left, right) = ((0, 0), (0, 0)) if padding == "VALID" else (padding[1], padding[2])
        oh = max(0, (h + top + bottom - kh) // sh + 1)
        ow = max(0, (w + left + right - kw) // sw + 1)
    out = np.zeros((n, oh, ow, k), np.float32)
    for di in range(kh):
        i0, rows = first_and_count(di - top, sh, oh, h)
        for dj in range(kw):
            j0, cols = first_and_count(dj - left, sw, ow, w)
            if rows == 0 or cols == 0:
                continue
            r = i0 * sh + di - top
            q = j0 * sw + dj - left
            part = inputs[:, r:r + (rows - 1) * sh + 1:sh, q:q + (cols - 1) * sw + 1:sw, :]
            out[:, i0:i0 + rows, j0:j0 + cols] += (part @ filters[di, dj]).astype(np.float32)
    return out
