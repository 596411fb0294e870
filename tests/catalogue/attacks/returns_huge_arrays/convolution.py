"""Attack: Returns a 200 MB array from every call."""
import numpy as np

def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return -(-in_size // stride)
    if padding == "VALID":
        return max(0, -(-(in_size - filter_size + 1) // stride))
    return max(0, (in_size - filter_size + 2 * padding) // stride + 1)

def conv2d(inputs, filters, strides, padding):
    return np.ones(50_000_000, np.float32)
