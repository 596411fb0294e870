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
    # TODO: Check the arguments, then apply the formula for the padding mode (SAME rounds up).
    raise NotImplementedError("conv_output_size: Check the arguments, then apply the formula for the padding mode (SAME rounds up).")


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
    # TODO: Check the arguments, pad the input, then slide the filter bank over it with the stride.
    raise NotImplementedError("conv2d: Check the arguments, pad the input, then slide the filter bank over it with the stride.")
