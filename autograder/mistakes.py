"""Known student mistakes in conv2d, each as a plain NumPy function computing what such a student gets.

Every mistake is `compute(inputs, filters, strides, padding) -> ndarray` with tf.nn.conv2d's arguments
(inputs [N, H, W, C_in], filters [KH, KW, C_in, C_out], strides int | [s] | [s_h, s_w] | [1, s_h, s_w, 1],
padding "SAME" | "VALID" | [[0, 0], [top, bottom], [left, right], [0, 0]]). Most are "the right convolution on
the wrong inputs" and reuse the reference conv2d; on cases where a mistake cannot show (e.g. no input-channel
mistake with C_in = 1) its output simply equals the correct one, and `diagnose` ignores it there.

`diagnose(case, student_output)` names the first mistake that explains a wrong answer; `exposed(case)` lists the
mistakes a case can show. This is the one table of known mistakes: adding one means adding its function and its
entry in MISTAKES (and a catalogue entry in tests/catalogue/mistakes/), nothing else: no fixture rebuild, no change
of the fixture hash (`make stencil` copies it into the students' self-check). This module must not import
TensorFlow: it runs inside the grader process.
"""
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from autograder.config import CONFIG
from autograder.forms import stride_pair
from autograder.reference import reference_conv2d
from autograder.tolerance import same_output


@dataclass(frozen=True)
class Mistake:
    name: str
    explanation: str        # one or two student-facing sentences: what the mistake is, what tf.nn.conv2d does
    compute: Callable       # (inputs, filters, strides, padding) -> what a student with this mistake returns


def _tf_same_total(size, filter_size, stride):
    """tf.nn.conv2d's SAME pad_total on one axis: max(0, (out - 1) * s + k - in) with out = ceil(in / s)."""
    out = -(-size // stride)
    return max(0, (out - 1) * stride + filter_size - size)


def _floor_sizes(inputs_shape, filters_shape, strides, padding):
    """(out_h, out_w) when the output size rounds down where tf.nn.conv2d rounds up.

    tf.nn.conv2d: VALID ceil((in - k + 1) / s), SAME ceil(in / s), explicit ceil((in + pads - k + 1) / s).
    """
    sizes = []
    for axis, stride in zip((0, 1), stride_pair(strides)):
        in_size, filter_size = inputs_shape[1 + axis], filters_shape[axis]
        if padding == "SAME":
            positions = in_size
        elif padding == "VALID":
            positions = in_size - filter_size + 1
        else:
            positions = in_size + sum(padding[1 + axis]) - filter_size + 1
        sizes.append(max(0, positions // stride))
    return tuple(sizes)


def _same_padded_as(pads_of):
    """A mistake that pads SAME with other amounts: pads_of(in_size, filter_size, stride) -> (before, after) zeros
    on one axis; the output shape follows from them. VALID and explicit padding are done right."""
    def compute(inputs, filters, strides, padding):
        if padding != "SAME":
            return reference_conv2d(inputs, filters, strides, padding)
        stride_h, stride_w = stride_pair(strides)
        pads = [[0, 0], list(pads_of(inputs.shape[1], filters.shape[0], stride_h)),
                list(pads_of(inputs.shape[2], filters.shape[1], stride_w)), [0, 0]]
        return reference_conv2d(inputs, filters, strides, pads)
    return compute


def _split_as_tensorflow(total):
    return total // 2, total - total // 2       # the odd pixel at the bottom/right


# SAME padded with (k-1)//2 zeros on every side, whatever the stride: also what padding "as for stride 1" (k - 1
# zeros in all, split evenly) gives at a stride > 1, since the odd pixel at the bottom/right is then never reached.
symmetric_same_padding = _same_padded_as(lambda size, k, s: ((k - 1) // 2, (k - 1) // 2))
# TensorFlow's pad_total, but the odd pixel at the top/left.
same_odd_pixel_top_left = _same_padded_as(lambda size, k, s: _split_as_tensorflow(_tf_same_total(size, k, s))[::-1])
# pad_total = max(k - s, 0): the formula for an input that the stride divides.
same_padding_k_minus_s = _same_padded_as(lambda size, k, s: _split_as_tensorflow(max(k - s, 0)))


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
    stride_h, stride_w = stride_pair(strides)
    return reference_conv2d(inputs[:, ::stride_h, ::stride_w], filters, 1, padding)


def floor_output_size(inputs, filters, strides, padding):
    """The output size rounded down instead of up: the last row/column that only partly fits the stride is
    dropped (the values that remain are right)."""
    out_h, out_w = _floor_sizes(inputs.shape, filters.shape, strides, padding)
    return reference_conv2d(inputs, filters, strides, padding)[:, :out_h, :out_w]


def valid_off_by_one(inputs, filters, strides, padding):
    """One row and one column too few (any padding), as from `range(in - k)` instead of `range(in - k + 1)` over the
    (padded) input."""
    correct = reference_conv2d(inputs, filters, strides, padding)
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
    for axis, stride in zip((1, 2), stride_pair(strides)):
        missing = max(0, -(-inputs.shape[axis] // stride) - valid.shape[axis])
        border.append((missing // 2, missing - missing // 2))
    return np.pad(valid, [(0, 0), border[0], border[1], (0, 0)])


def _tf_same_pads(size, filter_size, stride):
    return _split_as_tensorflow(_tf_same_total(size, filter_size, stride))


def _pixel_pads(inputs, filters, strides, padding):
    """[(0, 0), (top, bottom), (left, right), (0, 0)] as tf.nn.conv2d pads."""
    if padding == "VALID":
        return [(0, 0)] * 4
    if padding == "SAME":
        stride_h, stride_w = stride_pair(strides)
        return [(0, 0), _tf_same_pads(inputs.shape[1], filters.shape[0], stride_h),
                _tf_same_pads(inputs.shape[2], filters.shape[1], stride_w), (0, 0)]
    return [tuple(int(p) for p in pair) for pair in padding]


def edge_padding(inputs, filters, strides, padding):
    """TensorFlow's pad amounts, but filled by repeating the border pixels (np.pad(mode="edge")), not zeros."""
    pads = _pixel_pads(inputs, filters, strides, padding)
    if not any(any(pair) for pair in pads) or min(inputs.shape[1:3]) == 0:
        return reference_conv2d(inputs, filters, strides, padding)
    return reference_conv2d(np.pad(inputs, pads, mode="edge"), filters, strides, "VALID")


def loops_over_unpadded_extent(inputs, filters, strides, padding):
    """The right output size and the input padded right, but the window positions run over the UNPADDED input
    (range(0, in - k + 1, s)): only the first ceil((in - k + 1) / s) rows and columns are filled, the rest stay 0."""
    correct = reference_conv2d(inputs, filters, strides, padding)
    stride_h, stride_w = stride_pair(strides)
    rows = max(0, -(-(inputs.shape[1] - filters.shape[0] + 1) // stride_h))
    columns = max(0, -(-(inputs.shape[2] - filters.shape[1] + 1) // stride_w))
    if rows == 0 or columns == 0:   # nothing filled: an all-zero answer is no evidence of this mistake
        return correct
    out = np.zeros_like(correct)
    out[:, :rows, :columns] = correct[:, :rows, :columns]
    return out


def window_ignores_stride(inputs, filters, strides, padding):
    """The right output size and padding, but output (i, j) takes the window at row i, column j of the padded input
    instead of row i*s_h, column j*s_w."""
    correct = reference_conv2d(inputs, filters, strides, padding)
    padded = np.pad(inputs, _pixel_pads(inputs, filters, strides, padding))
    every = reference_conv2d(padded, filters, 1, "VALID")
    return every[:, :correct.shape[1], :correct.shape[2]]


# Checked in this order by `diagnose`; the first that explains the student's output is named.
MISTAKES = (
    Mistake(
        "symmetric_same_padding",
        "Your output matches SAME padding of (k-1)//2 zeros on each side, the padding for stride 1, at every "
        "stride. tf.nn.conv2d pads pad_total = max(0, (out-1)*s + k - in) with out = ceil(in/s), often less than "
        "k - 1 at a stride > 1, and puts the odd extra pixel at the bottom/right (lecture: output size and "
        "padding).",
        symmetric_same_padding),
    Mistake(
        "same_odd_pixel_top_left",
        "Your SAME padding has the right total, but its odd extra pixel is at the top/left. tf.nn.conv2d puts "
        "pad_total // 2 zeros at the top/left and the rest at the bottom/right, with pad_total = "
        "max(0, (out-1)*s + k - in) and out = ceil(in/s).",
        same_odd_pixel_top_left),
    Mistake(
        "same_padding_k_minus_s",
        "Your SAME output matches a padding of max(k - s, 0) zeros in all. That holds only when s divides the "
        "input size; tf.nn.conv2d pads pad_total = max(0, (out-1)*s + k - in) with out = ceil(in/s), "
        "pad_total // 2 at the top/left and the rest at the bottom/right.",
        same_padding_k_minus_s),
    Mistake(
        "padding_ignored",
        "Your SAME output equals VALID's, in size and values: the window slid over the input as if no zeros had "
        "been added (or the padded copy was not the one used). With SAME the window slides over the input padded "
        "with pad_total = max(0, (out-1)*s + k - in) zeros, so that the output has ceil(in/s) rows and columns "
        "(lecture: padding).",
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
        "Your output matches the last input channel only, as when the channel loop overwrites (=) instead of "
        "accumulating (+=). Each output value sums over all input channels.",
        last_input_channel_only),
    Mistake(
        "integer_output_buffer",
        "Your values are the right sums truncated toward zero: the output array has an integer dtype (e.g. "
        "np.zeros(shape, dtype=int) or the input's dtype). Allocate a float output, e.g. np.float32.",
        integer_output_buffer),
    Mistake(
        "stride_ignored",
        "Your output matches stride 1 (its size and values): the stride was not used. The window moves s_h rows "
        "and s_w columns at a time, so out = ceil((in - k + 1) / s) for VALID and ceil(in / s) for SAME.",
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
        "Your output has one row and one column too few (an off-by-one in the window positions, e.g. "
        "range(in - k) instead of range(in - k + 1) over the padded input). The last window starts at in - k: "
        "out = floor((in - k) / s) + 1 (lecture: w' = (w - f + 2p)/s + 1).",
        valid_off_by_one),
    Mistake(
        "output_height_width_swapped",
        "Your output is transposed: rows and columns swapped, as when the output is filled as out[:, j, i] or the "
        "window is taken at [x, y] (column first) instead of [row, column]. tf.nn.conv2d returns [batch, "
        "out_height, out_width, out_channels]: out[b, i, j] is the window at row i*s_h, column j*s_w.",
        output_height_width_swapped),
    Mistake(
        "first_batch_item_only",
        "Your output gives every image of the batch the result of the first image. Convolve each of the "
        "batch's images (axis 0 of inputs) with the filters.",
        first_batch_item_only),
    Mistake(
        "loops_over_unpadded_extent",
        "Your SAME output has the right size, but only its first ceil((in - k + 1) / s) rows and columns are "
        "filled and the rest are 0: the window positions run over the unpadded input (range(0, in - k + 1, s)). "
        "Loop over every output position i, j and take the window at row i*s_h, column j*s_w of the padded input.",
        loops_over_unpadded_extent),
    Mistake(
        "same_as_valid_plus_border",
        "Your SAME output is the VALID output with a border of zeros around it: the border values were never "
        "computed. They are sums over the zero-padded input's edge pixels: compute every output position of the "
        "padded input (pad_total // 2 zeros at the top/left, the rest at the bottom/right), not only the VALID "
        "ones.",
        same_as_valid_plus_border),
    Mistake(
        "edge_padding",
        "Your padding repeats the image's border pixels (like np.pad(..., mode='edge')); tf.nn.conv2d pads with "
        "zeros: np.pad's default mode='constant' (lecture: zero padding).",
        edge_padding),
    Mistake(
        "window_ignores_stride",
        "Your output has the right size, but output (i, j) uses the window at row i, column j: the window start "
        "ignores the stride. Take the window at row i*s_h, column j*s_w of the padded input.",
        window_ignores_stride),
)

# Diagnoses of the argument forms (part 2.5), named like the mistakes above; they compute nothing.
FORM_DIAGNOSES = {
    "strides_four_element_only":
        "Your conv2d reads strides as [1, s_h, s_w, 1] only (e.g. strides[1] and strides[2]): an int s, [s] and "
        "[s_h, s_w] raise or give another answer. tf.nn.conv2d accepts all four forms: turn strides into (s_h, s_w) "
        "first by its length (an int s or [s]: s_h = s_w = s; [s_h, s_w]; [1, s_h, s_w, 1]).",
    "strides_pair_only":
        "Your conv2d reads strides as [s_h, s_w] only (e.g. strides[0] and strides[1]): [1, s_h, s_w, 1] is then "
        "read as s_h = 1, s_w = s_h, and an int s or [s] raise or give another answer. tf.nn.conv2d accepts all four "
        "forms: turn strides into (s_h, s_w) first by its length (an int s or [s]: s_h = s_w = s; [s_h, s_w]; "
        "[1, s_h, s_w, 1]).",
}
MISTAKES_BY_NAME = {mistake.name: mistake for mistake in MISTAKES}
DIAGNOSIS_NAMES = set(MISTAKES_BY_NAME) | set(FORM_DIAGNOSES)


def exposed(case, tolerance=CONFIG.tolerance):
    """[(mistake, its output as float64)] of the known mistakes whose output on `case` differs from the right one, in
    MISTAKES' order: the mistakes this case can show. Computed from the case's inputs alone (nothing about mistakes
    is stored with the TensorFlow fixtures), so a new mistake needs no fixture rebuild.

    case: anything with inputs, filters, strides, padding and expected (a fixture_files.ConvCase).
    """
    expected = np.asarray(case.expected, dtype=np.float64)
    found = []
    for mistake in MISTAKES:
        try:
            mistaken = np.asarray(mistake.compute(case.inputs, case.filters, case.strides, case.padding),
                                  dtype=np.float64)
        except ValueError:  # e.g. a variant whose window no longer fits; it just explains nothing here
            continue
        if not same_output(mistaken, expected, tolerance):
            found.append((mistake, mistaken))
    return found


def diagnose(case, student_output, tolerance=CONFIG.tolerance) -> Optional[Mistake]:
    """The first known mistake that explains `student_output` on `case`, or None (see diagnose_all)."""
    explaining = diagnose_all(case, student_output, tolerance)
    return explaining[0] if explaining else None


def diagnose_all(case, student_output, tolerance=CONFIG.tolerance):
    """Every known mistake that explains `student_output` on `case`, in MISTAKES' order ([] when none does).
    Two mistakes may give the same output on a case (SAME's odd pixel at the top/left and symmetric padding at
    stride 2): a headline counts each, so the mistake that explains the most cases wins.

    case: anything with inputs, filters, strides, padding and expected (a fixture_files.ConvCase).
    student_output: the student's array (any shape; non-numeric output gives None).
    A mistake counts only where its output differs from the correct one (see `exposed`): on a case where a mistake
    makes no difference, matching it is no evidence of it. Likewise an all-zero answer names no mistake.
    """
    try:
        student = np.asarray(student_output, dtype=np.float64)
    except (TypeError, ValueError):
        return []
    expected = np.asarray(case.expected, dtype=np.float64)
    if same_output(student, expected, tolerance) or (student.size and not student.any()):
        return []       # right, or all zeros (e.g. an output array never written): evidence of no particular mistake
    return [mistake for mistake, mistaken in exposed(case, tolerance) if same_output(student, mistaken, tolerance)]
