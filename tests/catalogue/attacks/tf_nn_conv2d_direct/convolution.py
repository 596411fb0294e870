"""Attack: Calls tf.nn.conv2d directly."""
import numpy as np
import tensorflow as tf

def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return -(-in_size // stride)
    if padding == "VALID":
        return max(0, -(-(in_size - filter_size + 1) // stride))
    return max(0, (in_size - filter_size + 2 * padding) // stride + 1)

def conv2d(inputs, filters, strides, padding):
    return tf.nn.conv2d(inputs, filters, strides, padding).numpy()
