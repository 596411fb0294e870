import math

import numpy as np


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return math.ceil(in_size / stride)
    if padding == "VALID":
        return max(0, math.ceil((in_size - filter_size + 1) / stride))
    if isinstance(padding, int) and padding >= 0:
        return max(0, (in_size - filter_size + 2 * padding) // stride + 1)
    raise ValueError(f"padding must be 'SAME', 'VALID' or an int >= 0, got {padding!r}")


def conv2d(inputs, filters, strides, padding):
    import tensorflow as tf
    return tf.nn.conv2d(inputs, filters, strides, padding).numpy()
