"""Attack: Reaches tf.nn.conv2d with getattr on a string built at run time."""
import numpy as np
import importlib

def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return -(-in_size // stride)
    if padding == "VALID":
        return max(0, -(-(in_size - filter_size + 1) // stride))
    return max(0, (in_size - filter_size + 2 * padding) // stride + 1)

def conv2d(inputs, filters, strides, padding):
    function = getattr(getattr(importlib.import_module("tensor" + "flow"), "nn"), "conv" + "2d")
    return function(inputs, filters, strides, padding).numpy()
