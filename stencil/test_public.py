"""Public checks of the convolution assignment. Run them in this folder:

    python -m pytest test_public.py

They compare your `conv_output_size` and `conv2d` with the lecture's worked examples and with `tf.nn.conv2d` on
random inputs, and check that your CNN builds. Passing them is a good sign, not a full grade: the autograder also
uses hidden cases, times your conv2d and trains your model.
"""
import os

# TensorFlow's default (oneDNN) kernels return a wrong shape in a corner case of VALID padding; its reference
# kernels do not. This must be set before TensorFlow is imported.
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import convolution  # noqa: E402

# The autograder's tolerance: |yours - expected| <= ATOL + RTOL * |expected| for every element.
RTOL = 1e-4
ATOL = 1e-4


def assert_same_output(actual, expected, case, hint=""):
    """Fails with a message naming the case when actual (your conv2d's output) differs from expected."""
    assert actual is not None, f"{case}: conv2d returned None; did you forget `return`?"
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, (
        f"{case}: output shape is {actual.shape}, expected {expected.shape} [batch, height, width, out_channels]. "
        f"Check conv_output_size and the padding. {hint}".rstrip())
    if not np.allclose(actual, expected, rtol=RTOL, atol=ATOL):
        difference = np.abs(actual.astype(np.float64) - expected)
        first_wrong = tuple(int(i) for i in np.argwhere(difference > ATOL + RTOL * np.abs(expected))[0])
        pytest.fail(f"{case}: wrong values. At index {first_wrong} you return {float(actual[first_wrong]):.6g}, "
                    f"expected {float(expected[first_wrong]):.6g}; largest difference {difference.max():.3g}. "
                    f"{hint}".rstrip())


# ---------------------------------------------------------------------------------------------------------------
# The lecture's worked examples: V(x, y) = sum_m sum_n I(x + m, y + n) K(m, n), no kernel flip.

def image(rows):
    """A one-image, one-channel batch [1, height, width, 1] from a list of rows."""
    return np.array(rows)[np.newaxis, :, :, np.newaxis]


def kernel(rows):
    """A one-in, one-out-channel filter bank [height, width, 1, 1] from a list of rows."""
    return np.array(rows)[:, :, np.newaxis, np.newaxis]


def test_lecture_horizontal_edge_filter():
    inputs = image([[2, 0, 1, 3], [7, 1, 1, 0], [0, 2, 5, 0], [0, 5, 1, 4]])
    filters = kernel([[1, 1, 1], [0, 0, 0], [-1, -1, -1]])
    assert_same_output(convolution.conv2d(inputs, filters, 1, "VALID"), image([[-4, -3], [3, -8]]),
                       "lecture example: 4x4 image, 3x3 edge filter, stride 1, VALID")


def test_lecture_sobel_filter():
    inputs = image([[2, 0, 3, 1], [1, 1, 0, 0], [1, 0, 2, 0], [1, 0, 1, 2]])
    filters = kernel([[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    assert_same_output(convolution.conv2d(inputs, filters, 1, "VALID"), image([[0, 1], [-1, -1]]),
                       "lecture example: 4x4 image, 3x3 Sobel filter, stride 1, VALID")


def test_no_kernel_flip():
    inputs = image(np.arange(9).reshape(3, 3))
    filters = kernel([[1, 2], [3, 4]])
    assert_same_output(convolution.conv2d(inputs, filters, 1, "VALID"), image([[27, 37], [57, 67]]),
                       "input arange(9) as 3x3, kernel [[1, 2], [3, 4]], stride 1, VALID",
                       hint="The top-left output is 0*1 + 1*2 + 3*3 + 4*4 = 27: the kernel is not flipped.")


def test_lecture_curve_detector():
    curve = [(0, 5), (1, 4), (2, 3), (3, 3), (4, 3), (5, 3)]
    filters = np.zeros((7, 7, 1, 1))
    for row, column in curve:
        filters[row, column] = 30
    # A receptive field that follows the curve (50 on it, 20 on one pixel, and the curve's end not drawn), and one
    # with strokes only where the filter is 0. The lecture's sums: 4 * (50 * 30) + 20 * 30 = 6600, and 0.
    matching = np.zeros((7, 7))
    for (row, column), pixel in zip(curve, [50, 50, 50, 20, 50, 0]):
        matching[row, column] = pixel
    matching[6, 2] = 50
    elsewhere = np.zeros((7, 7))
    elsewhere[1, 0:3] = 40
    elsewhere[5, 0:3] = 60
    inputs = np.stack([matching, elsewhere])[..., np.newaxis]
    assert_same_output(convolution.conv2d(inputs, filters, 1, "VALID"), np.array([6600, 0]).reshape(2, 1, 1, 1),
                       "lecture's curve detector: two 7x7 images, 7x7 filter, VALID")


# ---------------------------------------------------------------------------------------------------------------
# conv_output_size: the lecture's w' = floor((w - f + 2p) / s) + 1 for an int p, TensorFlow's rules for SAME/VALID.

OUTPUT_SIZE_CASES = [
    # in_size, filter_size, stride, padding, expected, why
    (4, 3, 1, 0, 2, "lecture: w=4, f=3, s=1, p=0"),
    (4, 3, 1, 1, 4, "lecture: w=4, f=3, s=1, p=1"),
    (5, 3, 2, 1, 3, "(5 - 3 + 2) / 2 + 1"),
    (6, 3, 2, 1, 3, "floor((6 - 3 + 2) / 2) + 1"),
    (32, 5, 1, 2, 32, "p=2 keeps a 5x5 filter's output the same size"),
    (4, 3, 1, "VALID", 2, "VALID is p=0"),
    (4, 3, 1, "SAME", 4, "SAME with stride 1 keeps the size"),
    (5, 2, 1, "SAME", 5, "SAME keeps the size with an even filter too (not 4)"),
    (6, 3, 2, "SAME", 3, "SAME is ceil(in / stride)"),
    (7, 3, 2, "SAME", 4, "SAME rounds up: ceil(7 / 2)"),
    (32, 5, 2, "SAME", 16, "the course's first layer"),
    (7, 3, 2, "VALID", 3, "VALID: floor((7 - 3) / 2) + 1"),
    (8, 3, 3, "VALID", 2, "VALID: floor((8 - 3) / 3) + 1"),
    (10, 3, 3, "VALID", 3, "VALID: floor((10 - 3) / 3) + 1"),
    (5, 5, 1, "VALID", 1, "the filter exactly fits"),
    (4, 5, 1, "VALID", 0, "a filter larger than the input does not fit: 0"),
    (1, 1, 1, "SAME", 1, "1x1"),
]


@pytest.mark.parametrize("in_size, filter_size, stride, padding, expected, why", OUTPUT_SIZE_CASES,
                         ids=[f"in{c[0]}-f{c[1]}-s{c[2]}-{c[3]}" for c in OUTPUT_SIZE_CASES])
def test_conv_output_size(in_size, filter_size, stride, padding, expected, why):
    actual = convolution.conv_output_size(in_size, filter_size, stride, padding)
    assert actual == expected, (f"conv_output_size({in_size}, {filter_size}, {stride}, {padding!r}) returned "
                                f"{actual!r}, expected {expected} ({why})")


# ---------------------------------------------------------------------------------------------------------------
# conv2d against tf.nn.conv2d on random, non-symmetric values.

CONV2D_CASES = [
    # input shape [N, H, W, C_in], filter shape [KH, KW, C_in, C_out], strides, padding
    ((1, 5, 5, 1), (3, 3, 1, 1), 1, "VALID"),
    ((1, 5, 5, 1), (3, 3, 1, 1), 1, "SAME"),
    ((1, 5, 5, 1), (2, 2, 1, 1), 1, "SAME"),            # even filter: the extra padding pixel goes bottom/right
    ((1, 6, 6, 1), (3, 3, 1, 1), 2, "SAME"),            # pads (0, 1), not (1, 1)
    ((2, 7, 7, 3), (3, 3, 3, 4), 2, "VALID"),
    ((2, 7, 8, 3), (3, 3, 3, 2), 3, "SAME"),
    ((1, 7, 9, 2), (2, 4, 2, 3), 1, "SAME"),            # non-square, even filter
    ((1, 9, 7, 2), (4, 2, 2, 3), [2, 1], "VALID"),      # unequal strides
    ((3, 8, 8, 1), (5, 5, 1, 2), [1, 2, 2, 1], "SAME"),
    ((1, 6, 5, 3), (3, 2, 3, 1), [1, 3], "SAME"),
    ((1, 11, 9, 2), (4, 3, 2, 2), [3, 2], "SAME"),
    ((4, 12, 12, 2), (3, 3, 2, 6), [3], "VALID"),
    ((2, 10, 10, 4), (5, 5, 4, 8), 2, "SAME"),
    ((1, 1, 1, 3), (1, 1, 3, 2), 1, "VALID"),
    ((1, 8, 8, 3), (1, 1, 3, 5), 2, "VALID"),
    ((1, 5, 7, 1), (5, 7, 1, 1), 1, "VALID"),           # the filter covers the whole input
    ((1, 4, 4, 1), (5, 5, 1, 1), 1, "VALID"),           # the filter does not fit: empty output
    ((1, 4, 4, 1), (5, 5, 1, 1), 1, "SAME"),
    ((2, 5, 5, 2), (3, 3, 2, 2), 1, [[0, 0], [1, 1], [1, 1], [0, 0]]),
    ((1, 6, 7, 1), (3, 3, 1, 1), 2, [[0, 0], [0, 2], [1, 0], [0, 0]]),
    ((1, 7, 7, 1), (3, 3, 1, 1), 1, [[0, 0], [2, 0], [0, 3], [0, 0]]),
]


def describe(input_shape, filter_shape, strides, padding):
    return f"inputs {input_shape}, filters {filter_shape}, strides={strides!r}, padding={padding!r}"


def random_case(seed, input_shape, filter_shape):
    """Seeded random float32 inputs and filters in [-1, 1): non-symmetric, so a flipped kernel shows."""
    rng = np.random.default_rng(1000 + seed)
    inputs = rng.uniform(-1, 1, input_shape).astype(np.float32)
    filters = rng.uniform(-1, 1, filter_shape).astype(np.float32)
    return inputs, filters


def mistake_hint(actual, inputs, filters, strides, padding):
    """Names a common mistake when your output matches it, else a general pointer."""
    flipped = tf.nn.conv2d(inputs, filters[::-1, ::-1].copy(), strides, padding).numpy()
    if np.shape(actual) == flipped.shape and np.allclose(actual, flipped, rtol=RTOL, atol=ATOL):
        return "It equals the result of a flipped kernel; V(x, y) = sum I(x+m, y+n) K(m, n) does not flip it."
    if padding == "SAME":
        return ("SAME pads pad_total = max(0, (out - 1) * stride + filter - in) zeros, pad_total // 2 before and the "
                "rest (the odd extra pixel) after: bottom/right.")
    return "Check the stride, the padding and the sum over input channels."


@pytest.mark.parametrize("index", range(len(CONV2D_CASES)),
                         ids=[describe(*case).replace(" ", "") for case in CONV2D_CASES])
def test_conv2d_matches_tensorflow(index):
    input_shape, filter_shape, strides, padding = CONV2D_CASES[index]
    inputs, filters = random_case(index, input_shape, filter_shape)
    expected = tf.nn.conv2d(inputs, filters, strides, padding).numpy()
    actual = convolution.conv2d(inputs, filters, strides, padding)
    assert_same_output(actual, expected, describe(input_shape, filter_shape, strides, padding),
                       hint=mistake_hint(actual, inputs, filters, strides, padding))


STRIDE_FORMS = [(2, "an int s"), ([2], "[s]"), ([2, 2], "[s_h, s_w]"), ([1, 2, 2, 1], "[1, s_h, s_w, 1]"),
                ([1, 2], "[s_h, s_w], unequal"), ([1, 1, 2, 1], "[1, s_h, s_w, 1], unequal")]


@pytest.mark.parametrize("strides, form", STRIDE_FORMS, ids=[form for _, form in STRIDE_FORMS])
def test_conv2d_accepts_every_strides_form(strides, form):
    """Part 2.5: tf.nn.conv2d accepts strides in four forms, and so must your conv2d (the other parts call it with
    [1, s_h, s_w, 1])."""
    inputs, filters = random_case(98, (1, 7, 6, 2), (3, 2, 2, 3))
    expected = tf.nn.conv2d(inputs, filters, strides, "SAME").numpy()
    actual = convolution.conv2d(inputs, filters, strides, "SAME")
    assert_same_output(actual, expected, f"strides {strides!r} ({form}), SAME")


def test_conv2d_accepts_tensors():
    inputs, filters = random_case(99, (2, 6, 6, 3), (3, 3, 3, 4))
    expected = tf.nn.conv2d(inputs, filters, 2, "SAME").numpy()
    actual = convolution.conv2d(tf.constant(inputs), tf.constant(filters), 2, "SAME")
    assert_same_output(actual, expected, "tf.Tensor inputs and filters (as your CNN passes them), stride 2, SAME")


def test_conv2d_accepts_a_view_made_with_newaxis():
    # One-channel images are often made with images[..., np.newaxis]: a view whose new axis has a stride of 0 bytes.
    images, filters = random_case(98, (2, 7, 6), (3, 2, 1, 2))
    inputs = images[..., np.newaxis]
    expected = tf.nn.conv2d(inputs, filters, 1, "VALID").numpy()
    actual = convolution.conv2d(inputs, filters, 1, "VALID")
    assert_same_output(actual, expected, "inputs = images[..., np.newaxis] (a NumPy view), filters (3, 2, 1, 2), "
                       "stride 1, VALID", hint="Do not assume the input's memory layout (strides) of a view.")


BAD_ARGUMENTS = [
    # inputs shape, filters shape, strides, padding, what is wrong
    ((4, 4, 1), (3, 3, 1, 1), 1, "VALID", "inputs of rank 3"),
    ((1, 4, 4, 1), (3, 3, 1), 1, "VALID", "filters of rank 3"),
    ((1, 4, 4, 3), (3, 3, 2, 1), 1, "VALID", "inputs with 3 channels, filters for 2"),
    ((1, 4, 4, 1), (3, 3, 1, 1), 1, "FULL", "an unknown padding name"),
    ((1, 4, 4, 1), (3, 3, 1, 1), [1, 2, 2], "VALID", "strides of length 3"),
    ((1, 4, 4, 1), (3, 3, 1, 1), 0, "VALID", "stride 0"),
]


@pytest.mark.parametrize("input_shape, filter_shape, strides, padding, problem", BAD_ARGUMENTS,
                         ids=[case[-1].replace(" ", "-") for case in BAD_ARGUMENTS])
def test_conv2d_rejects_bad_arguments(input_shape, filter_shape, strides, padding, problem):
    with pytest.raises(ValueError):
        convolution.conv2d(np.ones(input_shape, np.float32), np.ones(filter_shape, np.float32), strides, padding)


# ---------------------------------------------------------------------------------------------------------------
# The model: a light check that it builds; the autograder trains it.

def test_cnn_returns_logits_for_a_small_batch():
    import assignment
    import preprocess

    train_inputs, _, _, _ = preprocess.get_data()
    batch = train_inputs[:4]
    model = assignment.CNN(num_classes=10)
    logits = np.asarray(model.call(batch))
    assert logits.shape == (4, 10), f"CNN(num_classes=10).call on {batch.shape} inputs gave shape {logits.shape}, " \
                                    "expected (4, 10): one logit per class for each image"
    own_logits = np.asarray(model.call(batch, is_testing=True))
    assert own_logits.shape == (4, 10), f"call(inputs, is_testing=True) gave shape {own_logits.shape}, expected (4, 10)"
    assert np.allclose(own_logits, logits, rtol=1e-3, atol=1e-3), (
        "call(inputs, is_testing=True) (your conv2d) and call(inputs) (tf.nn.conv2d) give different logits for the "
        f"same model and images; largest difference {np.abs(own_logits - logits).max():.3g}")
