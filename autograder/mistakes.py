"""Known student mistakes in conv2d, each as a plain NumPy function computing what such a student gets.

Every mistake is `compute(inputs, filters, strides, padding) -> ndarray` with tf.nn.conv2d's arguments
(inputs [N, H, W, C_in], filters [KH, KW, C_in, C_out], strides int | [s] | [s_h, s_w] | [1, s_h, s_w, 1],
padding "SAME" | "VALID" | [[0, 0], [top, bottom], [left, right], [0, 0]]). Most are "the right convolution on
the wrong inputs" and reuse the reference conv2d; on cases where a mistake cannot show (e.g. no input-channel
mistake with C_in = 1) its output simply equals the correct one, and `diagnose` ignores it there.

`diagnose(case, student_output)` names the first mistake that explains a wrong answer. This module must not
import TensorFlow: it runs inside the grader process.
"""
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from autograder.config import CONFIG
from autograder.reference import reference_conv2d


@dataclass(frozen=True)
class Mistake:
    name: str
    explanation: str        # one or two student-facing sentences: what the mistake is, what tf.nn.conv2d does
    compute: Callable       # (inputs, filters, strides, padding) -> what a student with this mistake returns


def _stride_pair(strides):
    """(s_h, s_w) from an int, [s], [s_h, s_w] or [1, s_h, s_w, 1]."""
    if isinstance(strides, (int, np.integer)):
        return int(strides), int(strides)
    values = [int(value) for value in strides]
    if len(values) == 1:
        return values[0], values[0]
    if len(values) == 2:
        return values[0], values[1]
    return values[1], values[2]


def _floor_sizes(inputs_shape, filters_shape, strides, padding):
    """(out_h, out_w) when the output size rounds down where tf.nn.conv2d rounds up.

    tf.nn.conv2d: VALID ceil((in - k + 1) / s), SAME ceil(in / s), explicit ceil((in + pads - k + 1) / s).
    """
    sizes = []
    for axis, stride in zip((0, 1), _stride_pair(strides)):
        in_size, filter_size = inputs_shape[1 + axis], filters_shape[axis]
        if padding == "SAME":
            positions = in_size
        elif padding == "VALID":
            positions = in_size - filter_size + 1
        else:
            positions = in_size + sum(padding[1 + axis]) - filter_size + 1
        sizes.append(max(0, positions // stride))
    return tuple(sizes)


def symmetric_same_padding(inputs, filters, strides, padding):
    """SAME padded with (k-1)//2 zeros on every side, whatever the stride (the output shape follows from it)."""
    if padding != "SAME":
        return reference_conv2d(inputs, filters, strides, padding)
    pad_h, pad_w = (filters.shape[0] - 1) // 2, (filters.shape[1] - 1) // 2
    return reference_conv2d(inputs, filters, strides, [[0, 0], [pad_h, pad_h], [pad_w, pad_w], [0, 0]])


def padding_ignored(inputs, filters, strides, padding):
    """SAME computed as VALID: no zeros added."""
    if padding != "SAME":
        return reference_conv2d(inputs, filters, strides, padding)
    return reference_conv2d(inputs, filters, strides, "VALID")


def flipped_kernel(inputs, filters, strides, padding):
    """True convolution: the kernel rotated by 180 degrees before sliding it."""
    return reference_conv2d(inputs, filters[::-1, ::-1], strides, padding)


def kernel_height_width_swapped(inputs, filters, strides, padding):
    """The kernel read as [KW, KH, C_in, C_out], i.e. indexed filters[dj, di] instead of filters[di, dj]."""
    return reference_conv2d(inputs, filters.transpose(1, 0, 2, 3), strides, padding)


def first_input_channel_only(inputs, filters, strides, padding):
    """No sum over input channels: only input channel 0 (and the filters' channel 0) is used."""
    return reference_conv2d(inputs[..., :1], filters[:, :, :1], strides, padding)


def last_input_channel_only(inputs, filters, strides, padding):
    """`out = ...` instead of `out += ...` in the input-channel loop: the last channel overwrites the others."""
    return reference_conv2d(inputs[..., -1:], filters[:, :, -1:], strides, padding)


def integer_output_buffer(inputs, filters, strides, padding):
    """The right sums stored in an integer array (np.zeros(..., dtype=int) or the int dtype of the input):
    every value truncated toward zero."""
    return np.trunc(reference_conv2d(inputs, filters, strides, padding))


def stride_ignored(inputs, filters, strides, padding):
    """Stride 1 everywhere, whatever `strides` says."""
    return reference_conv2d(inputs, filters, 1, padding)


def stride_before_padding(inputs, filters, strides, padding):
    """The input subsampled by the stride first (inputs[:, ::s_h, ::s_w]), then padded and convolved with
    stride 1."""
    stride_h, stride_w = _stride_pair(strides)
    return reference_conv2d(inputs[:, ::stride_h, ::stride_w], filters, 1, padding)


def floor_output_size(inputs, filters, strides, padding):
    """The output size rounded down instead of up: the last row/column that only partly fits the stride is
    dropped (the values that remain are right)."""
    out_h, out_w = _floor_sizes(inputs.shape, filters.shape, strides, padding)
    return reference_conv2d(inputs, filters, strides, padding)[:, :out_h, :out_w]


def valid_off_by_one(inputs, filters, strides, padding):
    """VALID with one row and one column too few, as from `range(in - k)` instead of `range(in - k + 1)`."""
    correct = reference_conv2d(inputs, filters, strides, padding)
    if padding != "VALID":
        return correct
    return correct[:, :max(0, correct.shape[1] - 1), :max(0, correct.shape[2] - 1)]


def output_height_width_swapped(inputs, filters, strides, padding):
    """The right values in an output allocated as [N, out_w, out_h, C_out] and filled as out[:, j, i]."""
    return reference_conv2d(inputs, filters, strides, padding).transpose(0, 2, 1, 3)


def first_batch_item_only(inputs, filters, strides, padding):
    """Single-image code broadcast over the batch: every item gets the output of item 0."""
    first = reference_conv2d(inputs[:1], filters, strides, padding)
    return np.repeat(first, inputs.shape[0], axis=0)


def same_as_valid_plus_border(inputs, filters, strides, padding):
    """SAME computed as VALID, then the output padded with zeros (split evenly, extra at the bottom/right) to
    SAME's ceil(in / s) size."""
    if padding != "SAME":
        return reference_conv2d(inputs, filters, strides, padding)
    valid = reference_conv2d(inputs, filters, strides, "VALID")
    if valid.size == 0:     # all border: an all-zero answer would "match" without being evidence of this mistake
        return reference_conv2d(inputs, filters, strides, padding)
    border = []
    for axis, stride in zip((1, 2), _stride_pair(strides)):
        missing = max(0, -(-inputs.shape[axis] // stride) - valid.shape[axis])
        border.append((missing // 2, missing - missing // 2))
    return np.pad(valid, [(0, 0), border[0], border[1], (0, 0)])


# Checked in this order by `diagnose`; the first that explains the student's output is named.
MISTAKES = (
    Mistake(
        "symmetric_same_padding",
        "Your output matches SAME padding split evenly ((k-1)//2 zeros on each side). tf.nn.conv2d pads "
        "pad_total = max(0, (out-1)*s + k - in) with out = ceil(in/s), and puts the odd extra pixel at the "
        "bottom/right (lecture: output size and padding).",
        symmetric_same_padding),
    Mistake(
        "padding_ignored",
        "Your output matches VALID where SAME was asked: no zeros were added. With SAME, pad the input so that "
        "the output has ceil(in/s) rows and columns (lecture: padding).",
        padding_ignored),
    Mistake(
        "flipped_kernel",
        "Your output matches a true convolution (kernel rotated by 180 degrees). tf.nn.conv2d and the lecture's "
        "V(x, y) = sum I(x+m, y+n) K(m, n) do not flip the kernel: slide it as it is.",
        flipped_kernel),
    Mistake(
        "kernel_height_width_swapped",
        "Your output matches the kernel read as [width, height]. Filters are [filter_height, filter_width, "
        "in_channels, out_channels]: filters[di, dj] multiplies the input at row i+di, column j+dj.",
        kernel_height_width_swapped),
    Mistake(
        "first_input_channel_only",
        "Your output matches a convolution of input channel 0 only. Each output value sums over the filter's "
        "height, width AND all input channels (lecture: a filter spans the full depth of the input).",
        first_input_channel_only),
    Mistake(
        "last_input_channel_only",
        "Your output matches the last input channel only: the channel loop overwrites (=) instead of "
        "accumulating (+=). Each output value sums over all input channels.",
        last_input_channel_only),
    Mistake(
        "integer_output_buffer",
        "Your values are the right sums truncated toward zero: the output array has an integer dtype (e.g. "
        "np.zeros(shape, dtype=int) or the input's dtype). Allocate a float output, e.g. np.float32.",
        integer_output_buffer),
    Mistake(
        "stride_ignored",
        "Your output matches stride 1: the stride was ignored. The window moves s_h rows and s_w columns at a "
        "time, so out = ceil((in - k + 1) / s) for VALID and ceil(in / s) for SAME.",
        stride_ignored),
    Mistake(
        "stride_before_padding",
        "Your output matches an input subsampled by the stride before padding and convolving. Pad first, then "
        "move the window by the stride over the padded input.",
        stride_before_padding),
    Mistake(
        "floor_output_size",
        "Your output drops the last row/column: the output size was rounded down. tf.nn.conv2d rounds up: "
        "out = ceil((in - k + 1) / s) for VALID and ceil(in / s) for SAME (= floor((in - k) / s) + 1).",
        floor_output_size),
    Mistake(
        "valid_off_by_one",
        "Your VALID output has one row and one column too few (an off-by-one in the window positions). "
        "The last window starts at in - k: out = floor((in - k) / s) + 1 (lecture: w' = (w - f + 2p)/s + 1).",
        valid_off_by_one),
    Mistake(
        "output_height_width_swapped",
        "Your values are right but stored transposed: your output is [batch, width, height, channels]. "
        "tf.nn.conv2d returns [batch, out_height, out_width, out_channels]: out[b, i, j] is row i, column j.",
        output_height_width_swapped),
    Mistake(
        "first_batch_item_only",
        "Your output gives every image of the batch the result of the first image. Convolve each of the "
        "batch's images (axis 0 of inputs) with the filters.",
        first_batch_item_only),
    Mistake(
        "same_as_valid_plus_border",
        "Your SAME output is the VALID output with a border of zeros around it. SAME pads the INPUT with zeros "
        "before sliding the filter, so the border values are sums over the image's edge pixels, not zeros.",
        same_as_valid_plus_border),
)
MISTAKES_BY_NAME = {mistake.name: mistake for mistake in MISTAKES}


def _same_values(first, second, tolerance):
    """Same shape and allclose within the grading tolerance."""
    return first.shape == second.shape and np.allclose(first, second, rtol=tolerance.rtol, atol=tolerance.atol)


def diagnose(case, student_output, tolerance=CONFIG.tolerance) -> Optional[Mistake]:
    """The first known mistake that explains `student_output` on `case`, or None.

    case: anything with inputs, filters, strides, padding and expected (a fixtures.ConvCase).
    student_output: the student's array (any shape; non-numeric output gives None).
    A mistake counts only where its output differs from the correct one: on a case where a mistake makes no
    difference, matching it is no evidence of it. Likewise an all-zero answer names no mistake.
    """
    try:
        student = np.asarray(student_output, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    expected = np.asarray(case.expected, dtype=np.float64)
    if _same_values(student, expected, tolerance) or (student.size and not student.any()):
        return None     # right, or all zeros (e.g. an output array never written): evidence of no particular mistake
    for mistake in MISTAKES:
        try:
            mistaken = np.asarray(mistake.compute(case.inputs, case.filters, case.strides, case.padding),
                                  dtype=np.float64)
        except ValueError:  # e.g. a variant whose window no longer fits; it just explains nothing here
            continue
        if not _same_values(mistaken, expected, tolerance) and _same_values(student, mistaken, tolerance):
            return mistake
    return None
