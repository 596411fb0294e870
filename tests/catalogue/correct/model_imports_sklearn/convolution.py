"""Convolution by hand, in NumPy.

The lecture defines a 2-D convolution layer as a sliding dot product (cross-correlation, no kernel flip):

    V(x, y) = sum_m sum_n I(x + m, y + n) K(m, n)

`conv2d` below computes exactly what `tf.nn.conv2d` computes, for NHWC inputs and HWIO filters, with strides and
SAME / VALID / explicit padding. Groups and dilations are out of scope.
"""
import numpy as np

PADDING_NAMES = ("SAME", "VALID")


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    """Size of one spatial dimension of a convolution's output.

    in_size, filter_size, stride: positive ints (in_size may be 0 or more).
    padding: "SAME" or "VALID" (the rules of tf.nn.conv2d), or an int p >= 0 of zeros added on each side
        (the lecture's w' = floor((w - f + 2p) / s) + 1).
    Returns an int >= 0; 0 when the filter does not fit at all.
    """
    # BEGIN SOLUTION: Check the arguments, then apply the formula for the padding mode (SAME rounds up).
    _check_whole(in_size, "in_size", minimum=0)
    _check_whole(filter_size, "filter_size", minimum=1)
    _check_whole(stride, "stride", minimum=1)
    if isinstance(padding, str):
        if padding not in PADDING_NAMES:
            raise ValueError(f"padding must be 'SAME', 'VALID' or an int >= 0; got {padding!r}")
        if padding == "SAME":
            return -(-in_size // stride)
        padded_size = in_size
    else:
        _check_whole(padding, "padding", minimum=0, allowed="'SAME', 'VALID' or an int >= 0")
        padded_size = in_size + 2 * padding
    if padded_size < filter_size:
        return 0
    return (padded_size - filter_size) // stride + 1
    # END SOLUTION


def conv2d(inputs, filters, strides, padding):
    """2-D cross-correlation with the semantics of tf.nn.conv2d (NHWC, no kernel flip).

    inputs:  [batch, in_height, in_width, in_channels], a NumPy array or tf.Tensor of any real dtype.
    filters: [filter_height, filter_width, in_channels, out_channels].
    strides: an int s, or a list [s], [s_h, s_w] or [1, s_h, s_w, 1].
    padding: "SAME", "VALID", or explicit [[0, 0], [top, bottom], [left, right], [0, 0]].
    Returns float32 [batch, out_height, out_width, out_channels], where
        out[b, i, j, k] = sum_{di, dj, q} padded[b, s_h*i + di, s_w*j + dj, q] * filters[di, dj, q, k].
    Raises ValueError for a wrong rank, mismatched channels, bad strides or unknown padding.
    Groups (in_channels a multiple of the filter's) and dilations are out of scope.
    """
    # BEGIN SOLUTION: Check the arguments, pad the input, then slide the filter bank over it with the stride.
    inputs = _as_real_array(inputs, "inputs")
    filters = _as_real_array(filters, "filters")
    batch, in_height, in_width, in_channels = inputs.shape
    filter_height, filter_width, filter_channels, out_channels = filters.shape
    if filter_channels != in_channels:
        raise ValueError(
            f"filters have {filter_channels} input channels but inputs have {in_channels}; they must be equal "
            "(inputs [batch, height, width, channels], filters [height, width, in_channels, out_channels])")
    stride_h, stride_w = _parse_strides(strides)
    (top, bottom), (left, right) = _parse_padding(
        padding, (in_height, in_width), (filter_height, filter_width), (stride_h, stride_w))

    out_height = conv_output_size(in_height + top + bottom, filter_height, stride_h)
    out_width = conv_output_size(in_width + left + right, filter_width, stride_w)
    if out_height == 0 or out_width == 0:
        return np.zeros((batch, out_height, out_width, out_channels), np.float32)

    # Integers and float64 are summed in float64; float32 stays float32, as in TensorFlow.
    dtype = np.float32 if inputs.dtype == filters.dtype == np.float32 else np.float64
    if top == bottom == left == right == 0:
        padded = np.ascontiguousarray(inputs, dtype)
    else:
        padded = np.zeros((batch, in_height + top + bottom, in_width + left + right, in_channels), dtype)
        padded[:, top:top + in_height, left:left + in_width] = inputs
    # im2col: rows[b, i, j, di, dj*C_in + q] = padded[b, s_h*i + di, s_w*j + dj, q]. In NHWC memory the
    # filter_width*C_in values (dj, q) of one filter row lie side by side, so `rows` is a strided view (no copy)
    # whose last two axes follow the filters' own [KH, KW, C_in] order; one matrix product then does the sums.
    # Steps computed from the shape, not read from .strides: a length-1 axis made by np.newaxis reports step 0.
    item = padded.itemsize
    row_step = padded.shape[2] * in_channels * item
    rows = np.lib.stride_tricks.as_strided(
        padded, (batch, out_height, out_width, filter_height, filter_width * in_channels),
        (padded.shape[1] * row_step, stride_h * row_step, stride_w * in_channels * item, row_step, item),
        writeable=False)
    columns = rows.reshape(-1, filter_height * filter_width * in_channels)
    out = columns @ filters.astype(dtype, copy=False).reshape(-1, out_channels)
    out = out.reshape(batch, out_height, out_width, out_channels)
    return out.astype(np.float32, copy=False)
    # END SOLUTION


# BEGIN SOLUTION
def _check_whole(value, name, minimum, allowed=None):
    """Raise ValueError unless value is an int (not a bool) >= minimum."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be {allowed or f'an int >= {minimum}'}; got {value!r}")


def _as_real_array(value, name):
    """value (array-like or tf.Tensor) as a rank-4 real NumPy array."""
    array = np.asarray(value)
    if array.dtype == np.bool_ or not (np.issubdtype(array.dtype, np.integer)
                                       or np.issubdtype(array.dtype, np.floating)):
        raise ValueError(f"{name} must hold real numbers; got dtype {array.dtype}")
    if array.ndim != 4:
        raise ValueError(f"{name} must be 4-dimensional; got shape {array.shape}")
    return array


def _parse_strides(strides):
    """strides as (s_h, s_w), accepting s, [s], [s_h, s_w] or [1, s_h, s_w, 1]."""
    allowed = "an int >= 1 or a list [s], [s_h, s_w] or [1, s_h, s_w, 1] of ints >= 1"
    values = [strides] if isinstance(strides, (int, np.integer)) else strides
    try:
        values = list(values)
    except TypeError:
        raise ValueError(f"strides must be {allowed}; got {strides!r}") from None
    for value in values:
        _check_whole(value, "strides", minimum=1, allowed=allowed)
    if len(values) == 1:
        return values[0], values[0]
    if len(values) == 2:
        return values[0], values[1]
    if len(values) == 4:
        if values[0] != 1 or values[3] != 1:
            raise ValueError(f"strides over batch and channels must be 1; got {strides!r}")
        return values[1], values[2]
    raise ValueError(f"strides must be {allowed}; got {strides!r} (length {len(values)})")


def _parse_padding(padding, in_size, filter_size, stride):
    """padding as ((top, bottom), (left, right)) in pixels, for in_size, filter_size and stride given as (h, w)."""
    allowed = "'SAME', 'VALID' or [[0, 0], [top, bottom], [left, right], [0, 0]]"
    if isinstance(padding, str):
        if padding == "VALID":
            return (0, 0), (0, 0)
        if padding == "SAME":
            return tuple(_same_padding(*dim) for dim in zip(in_size, filter_size, stride))
        raise ValueError(f"padding must be {allowed}; got {padding!r}")
    try:
        pads = [[p for p in pair] for pair in padding]
    except TypeError:
        raise ValueError(f"padding must be {allowed}; got {padding!r}") from None
    if len(pads) != 4 or any(len(pair) != 2 for pair in pads):
        raise ValueError(f"explicit padding must have shape [4, 2]; got {padding!r}")
    for pair in pads:
        for p in pair:
            _check_whole(p, "padding", minimum=0, allowed=f"{allowed} with ints >= 0")
    if any(pads[0]) or any(pads[3]):
        raise ValueError(f"padding over batch and channels must be [0, 0]; got {padding!r}")
    return tuple(pads[1]), tuple(pads[2])


def _same_padding(in_size, filter_size, stride):
    """(before, after) zeros for SAME padding; the odd extra pixel goes after (bottom/right), as in TensorFlow."""
    out_size = conv_output_size(in_size, filter_size, stride, "SAME")
    total = max(0, (out_size - 1) * stride + filter_size - in_size)
    return total // 2, total - total // 2
# END SOLUTION
