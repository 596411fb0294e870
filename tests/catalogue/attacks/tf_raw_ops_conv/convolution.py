"""Attack: Calls the raw TensorFlow op tf.raw_ops.Conv2D."""
import numpy as np
import tensorflow as tf

def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return -(-in_size // stride)
    if padding == "VALID":
        return max(0, -(-(in_size - filter_size + 1) // stride))
    return max(0, (in_size - filter_size + 2 * padding) // stride + 1)

def conv2d(inputs, filters, strides, padding):
    s = [strides] if isinstance(strides, int) else list(strides)
    s = [1, s[0], s[0], 1] if len(s) == 1 else [1, s[0], s[1], 1] if len(s) == 2 else s
    x = tf.constant(inputs, tf.float32)
    f = tf.constant(filters, tf.float32)
    if not isinstance(padding, str):
        x, padding = tf.pad(x, padding), "VALID"
    return tf.raw_ops.Conv2D(input=x, filter=f, strides=s, padding=padding).numpy()
