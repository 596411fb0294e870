"""The reference solution's convolution.py against tf.nn.conv2d itself (not against fixtures)."""
import numpy as np
import pytest
import tensorflow as tf

from autograder.grids import HIDDEN_GRID, OUTPUT_SIZE_GRID, PUBLIC_GRID, lecture_cases
from convolution import conv2d, conv_output_size

GRID = PUBLIC_GRID + HIDDEN_GRID


def random_case(index, grid_row):
    inputs_shape, filters_shape, strides, padding, dtype = grid_row
    rng = np.random.default_rng(index)
    if dtype == "int32":
        return (rng.integers(-5, 6, inputs_shape).astype(np.int32),
                rng.integers(-5, 6, filters_shape).astype(np.int32), strides, padding)
    return (rng.standard_normal(inputs_shape).astype(dtype),
            rng.standard_normal(filters_shape).astype(dtype), strides, padding)


def tf_conv2d(inputs, filters, strides, padding):
    """tf.nn.conv2d in float32 (what the grading fixtures hold)."""
    return tf.nn.conv2d(inputs.astype(np.float32), filters.astype(np.float32), strides, padding).numpy()


@pytest.mark.parametrize("index", range(len(GRID)))
def test_conv2d_matches_tf_on_the_grid(index):
    inputs, filters, strides, padding = random_case(index, GRID[index])
    expected = tf_conv2d(inputs, filters, strides, padding)
    ours = conv2d(inputs, filters, strides, padding)
    assert ours.dtype == np.float32
    assert ours.shape == expected.shape
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5)


def test_conv2d_accepts_tf_tensors_and_views():
    inputs, filters, strides, padding = random_case(0, ((3, 7, 5, 4), (2, 3, 4, 5), [1, 2], "SAME", "float32"))
    expected = tf_conv2d(inputs, filters, strides, padding)
    np.testing.assert_allclose(conv2d(tf.constant(inputs), tf.constant(filters), strides, padding), expected,
                               rtol=1e-5, atol=1e-5)
    # A length-1 axis made by np.newaxis has step 0 in memory: the strided windows must not trust .strides.
    image = inputs[0, :, :, 0]
    expected_single = tf_conv2d(image[None, :, :, None], filters[:, :, :1, :], strides, padding)
    np.testing.assert_allclose(conv2d(image[None, :, :, None], filters[:, :, :1, :], strides, padding),
                               expected_single, rtol=1e-5, atol=1e-5)
    # A transposed (non-contiguous) input.
    transposed = np.ascontiguousarray(inputs.transpose(0, 2, 1, 3)).transpose(0, 2, 1, 3)
    np.testing.assert_allclose(conv2d(transposed, filters, strides, padding), expected, rtol=1e-5, atol=1e-5)


LECTURE_RESULTS = {
    "lecture_edges": [[[[-4], [-3]], [[3], [-8]]]],
    "lecture_sobel": [[[[0], [1]], [[-1], [-1]]]],
    "lecture_curve": [[[[6600]]], [[[0]]]],
}


@pytest.mark.parametrize("case", lecture_cases(), ids=lambda case: case[0])
def test_lecture_worked_examples_hold_exactly(case):
    case_id, inputs, filters, strides, padding, _ = case
    assert conv2d(inputs, filters, strides, padding).tolist() == LECTURE_RESULTS[case_id]


def test_lecture_small_examples():
    x = np.arange(9, dtype=np.float32).reshape(1, 3, 3, 1)
    assert conv2d(x, np.array([[1, 2], [3, 4]], np.float32)[:, :, None, None], 1, "VALID")[0, 0, 0, 0] == 27
    assert conv_output_size(4, 3, 1, 0) == 2 and conv_output_size(4, 3, 1, 1) == 4
    assert conv_output_size(4, 3, 1, "SAME") == 4


@pytest.mark.parametrize("row", OUTPUT_SIZE_GRID)
def test_conv_output_size_agrees_with_tf_and_the_lecture_formula(row):
    in_size, filter_size, stride, padding = row
    ours = conv_output_size(in_size, filter_size, stride, padding)
    if isinstance(padding, str):
        if padding == "VALID" and in_size - filter_size <= -2 * stride:
            pytest.skip("tf.nn.conv2d raises here; conv_output_size returns 0")
        shape = tf.nn.conv2d(np.zeros((1, in_size, 1, 1), np.float32),
                             np.zeros((filter_size, 1, 1, 1), np.float32), [stride, 1], padding).shape
        assert ours == shape[1]
    else:
        assert ours == max(0, (in_size - filter_size + 2 * padding) // stride + 1)


@pytest.mark.parametrize("call, words", [
    (lambda: conv_output_size(5, 3, 1, "same"), ["padding", "'same'", "SAME"]),
    (lambda: conv_output_size(5, 3, 0), ["stride", "0"]),
    (lambda: conv_output_size(5, 0), ["filter_size", "0"]),
    (lambda: conv_output_size(5, 3, 1, -1), ["padding", "-1"]),
    (lambda: conv_output_size(5.0, 3), ["in_size", "5.0"]),
    (lambda: conv2d(np.zeros((5, 5, 1)), np.zeros((3, 3, 1, 1)), 1, "SAME"), ["inputs", "4-dimensional", "(5, 5, 1)"]),
    (lambda: conv2d(np.zeros((1, 5, 5, 2)), np.zeros((3, 3, 3, 1)), 1, "SAME"), ["channels", "3", "2"]),
    (lambda: conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), [1, 1, 1], "SAME"), ["strides", "length 3"]),
    (lambda: conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), 0, "SAME"), ["strides", "0"]),
    (lambda: conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), [2, 1, 1, 1], "SAME"), ["batch"]),
    (lambda: conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), 1, "same"), ["padding", "'same'"]),
    (lambda: conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), 1, [[1, 0], [0, 0], [0, 0], [0, 0]]),
     ["batch"]),
])
def test_bad_arguments_raise_value_error_naming_them(call, words):
    with pytest.raises(ValueError) as raised:
        call()
    for word in words:
        assert word in str(raised.value)
